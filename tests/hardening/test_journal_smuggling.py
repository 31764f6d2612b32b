"""Encoded-name smuggling of every secret field into the journal (issue 12 §3): the journal redacts
after decoding, on a whitelist; no spelling of a secret's name gets its value kept."""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

import pytest
from sqlalchemy import select

from dgfip_sandbox.gateway.journal import SECRET_FIELDS
from dgfip_sandbox.store.journal import JournalEntry

pytestmark = pytest.mark.anyio


def spellings(name: str) -> list[str]:
    """Ways to write a form/query field name that decode to ``name``."""
    out = {name, "".join(f"%{ord(c):02X}" for c in name), "".join(f"%{ord(c):02x}" for c in name)}
    out.add(name.replace("_", "%5F"))
    out.add(name.replace("_", "%5f"))
    out.add(f"%{ord(name[0]):02X}{name[1:]}")
    out.add(name[:-1] + f"%{ord(name[-1]):02x}")
    return sorted(out)


def json_spellings(name: str) -> list[str]:
    """Ways to write a JSON member name that unescape to ``name``."""
    return sorted(
        {
            json.dumps(name),
            '"' + "".join(f"\\u{ord(c):04x}" for c in name) + '"',
            json.dumps(name).replace("_", "\\u005f"),
            '"' + f"\\u{ord(name[0]):04X}" + name[1:] + '"',
        }
    )


def server_logs(caplog: pytest.LogCaptureFixture) -> str:
    """What the sandbox logged (the test's own HTTP client logs its request lines: not the sandbox's)."""
    return "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith(("httpx", "httpcore")))


async def _journal_text(sandbox: Any, correlation: str) -> str:
    async with sandbox.state.sessionmaker() as session:
        row = (
            await session.execute(select(JournalEntry).where(JournalEntry.correlation_id == correlation))
        ).scalar_one()
    return json.dumps([row.query, row.request_body, row.request_headers, row.response_body], ensure_ascii=False)


async def test_client_secret_under_any_encoded_name_is_accepted_by_token_but_never_journaled(sandbox, caplog) -> None:
    caplog.set_level(logging.INFO)
    consumer = sandbox.consumer("mairie-demo")
    client = sandbox.raw_client(cert=consumer["cert"])
    probes = 0
    for spelling in spellings("client_secret"):
        correlation = str(uuid.uuid4())
        form = f"grant_type=client_credentials&client_id={consumer['client_id']}&{spelling}={consumer['client_secret']}"
        response = await client.post(
            "/token",
            content=form,
            headers={"Content-Type": "application/x-www-form-urlencoded", "X-Correlation-ID": correlation},
        )
        probes += 1
        assert response.status_code == 200, (spelling, response.text)  # /token decodes the name: the secret counts
        text = await _journal_text(sandbox, correlation)
        assert consumer["client_secret"] not in text, spelling
        assert "client_secret=***" in text
        assert response.json()["access_token"] not in text
    assert consumer["client_secret"] not in server_logs(caplog)
    print("client_secret spellings:", probes)


async def test_every_secret_field_under_every_spelling_in_form_query_and_json(sandbox, caplog) -> None:
    caplog.set_level(logging.INFO)
    await sandbox.token("ficoba-administration")  # the consumer is identified: its calls are journaled
    client = await sandbox.client("ficoba-administration")
    probes = 0
    leaks: list[str] = []
    for field in SECRET_FIELDS:
        secret = f"S3CRET-{field}-{uuid.uuid4().hex}"
        attempts: list[dict[str, Any]] = []
        for spelling in spellings(field):
            attempts.append({"kind": "query", "url": f"/fcb-masrestit/api/v2/etatSante?{spelling}={secret}"})
            attempts.append(
                {
                    "kind": "form",
                    "url": "/fcb-masrestit/api/v2/comptes/spi",
                    "content": f"{spelling}={secret}",
                    "type": "application/x-www-form-urlencoded",
                }
            )
        for spelling in json_spellings(field):
            attempts.append(
                {
                    "kind": "json",
                    "url": "/fcb-masrestit/api/v2/comptes/spi",
                    "content": '{"criteresRecherche": {'
                    + spelling
                    + ': "'
                    + secret
                    + '"}, '
                    + spelling
                    + ': "'
                    + secret
                    + '"}',
                    "type": "application/json",
                }
            )
        for attempt in attempts:
            correlation = str(uuid.uuid4())
            headers = {"X-Correlation-ID": correlation, "X-Request-ID": str(uuid.uuid4()), "Accept": "application/json"}
            if "content" in attempt:
                headers["Content-Type"] = attempt["type"]
                await client.post(attempt["url"], content=attempt["content"], headers=headers)
            else:
                await client.get(attempt["url"], headers=headers)
            probes += 1
            if secret in await _journal_text(sandbox, correlation):
                leaks.append(f"{attempt['kind']} {attempt.get('content', attempt['url'])}")
        if secret in server_logs(caplog):
            leaks.append(f"{field} in the logs")
    assert not leaks, "\n".join(leaks)
    print("secret-field smuggling probes:", probes)


async def test_unknown_headers_are_not_kept_and_authorization_keeps_its_scheme(sandbox) -> None:
    client = await sandbox.client("ficoba-administration")
    correlation = str(uuid.uuid4())
    await client.get(
        "/fcb-masrestit/api/v2/etatSante",
        headers={"X-Correlation-ID": correlation, "X-Request-ID": "r", "X-Api-Key": "k3y", "Cookie": "s=c00kie"},
    )
    text = await _journal_text(sandbox, correlation)
    assert "k3y" not in text and "c00kie" not in text
    assert '"authorization": "Bearer ***"' in text and '"x-correlation-id": "' + correlation + '"' in text
