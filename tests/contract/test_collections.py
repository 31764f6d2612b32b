"""``dgfip-sandbox export postman|bruno``: collections a person can click through.

The Postman collection is *executed* here, request by request, as Postman would: the token request first
(HTTP Basic, form body, over mTLS with the files the description names), then every route with the
collection's bearer token, variables and a fresh X-Correlation-ID. Each must get past the gateway (no
401/403 from the APIM, no 404/405: the URL and method are right) and never a 5xx. The Bruno collection is
checked for the same requests, its certificate and its token step.
"""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from dgfip_sandbox.cli import app as cli
from dgfip_sandbox.contract import bruno, postman
from dgfip_sandbox.contract.collection import collection_access
from dgfip_sandbox.testing.sandbox import DgfipSandbox
from tests.contract.conftest import SERVED

_VARIABLE = re.compile(r"\{\{([^}]+)\}\}")
APIM_REFUSALS = {900901, 900902, 900910, 900805, 910000, 404, 405}


def _env(sandbox: DgfipSandbox) -> dict[str, str]:
    settings = sandbox.settings
    return {
        "DGFIP_SANDBOX_VAR_DIR": str(settings.var_dir),
        "DGFIP_SANDBOX_CERTS_DIR": str(settings.certs_dir),
        "DGFIP_SANDBOX_DATABASE_URL": settings.database_url or "",
    }


def _export(sandbox: DgfipSandbox, tmp_path: Path, what: str, consumer: str) -> list[str]:
    result = CliRunner().invoke(
        cli, ["export", what, "-o", str(tmp_path), "--consumer", consumer, "--with-secret"], env=_env(sandbox)
    )
    assert result.exit_code == 0, result.output
    return result.output.split()


def _substitute(text: str, variables: dict[str, str]) -> str:
    return _VARIABLE.sub(lambda m: variables.get(m.group(1), m.group(0)), text)


def _requests(collection: dict[str, Any]) -> list[dict[str, Any]]:
    return [item for folder in collection["item"] for item in folder["item"]]


@pytest.mark.parametrize(
    ("consumer", "api"), [("mairie-demo", "impot_particulier"), ("ficoba-administration", "ficoba")]
)
def test_the_postman_collection_clicks_through_every_route(live_sandbox, tmp_path, consumer: str, api: str) -> None:
    [path] = [p for p in _export(live_sandbox, tmp_path, "postman", consumer) if p.endswith(".json")]
    collection = json.loads(Path(path).read_text(encoding="utf-8"))
    assert collection["info"]["schema"].endswith("/v2.1.0/collection.json")
    assert collection["auth"]["bearer"][0]["value"] == "{{access_token}}"
    variables = {v["key"]: v["value"] for v in collection["variable"]}
    access = collection_access(live_sandbox.settings, consumer, with_secret=True)
    assert access is not None and access.cert in collection["info"]["description"]
    variables["franceconnectToken"] = live_sandbox.franceconnect_token(
        "1000000001084", ["openid", "dgfip_rfr"]
    ).access_token

    with httpx.Client(verify=live_sandbox.ssl_context(consumer), timeout=30) as client:
        token_request = collection["item"][0]["item"][0]["request"]
        basic = {b["key"]: _substitute(b["value"], variables) for b in token_request["auth"]["basic"]}
        form = {f["key"]: _substitute(f["value"], variables) for f in token_request["body"]["urlencoded"]}
        response = client.post(
            _substitute(token_request["url"]["raw"], variables), data=form, auth=(basic["username"], basic["password"])
        )
        assert response.status_code == 200, response.text
        variables["access_token"] = response.json()["access_token"]

        prefix = SERVED[api].removesuffix("/openapi.json")
        routes = [
            item for item in _requests(collection) if item["request"]["url"]["raw"].startswith("{{baseUrl}}" + prefix)
        ]
        assert len(routes) == (15 if api == "impot_particulier" else 8)
        for item in routes:
            request = item["request"]
            headers = {h["key"]: _substitute(h["value"], variables) for h in request["header"]}
            headers["Authorization"] = "Bearer " + variables["access_token"]
            headers["X-Correlation-ID"] = str(uuid.uuid4())  # the collection's pre-request script
            body = request.get("body", {}).get("raw")
            response = client.request(
                request["method"], _substitute(request["url"]["raw"], variables), headers=headers, content=body
            )
            code = response.json().get("erreur", {}).get("code") if response.content else None
            assert response.status_code < 500 and code not in APIM_REFUSALS, (item["name"], response.text[:300])


def test_the_bruno_collection_has_the_certificate_the_token_step_and_every_route(live_sandbox, tmp_path) -> None:
    written = _export(live_sandbox, tmp_path, "bruno", "mairie-demo")
    root = tmp_path / bruno.DIRECTORY
    config = json.loads((root / "bruno.json").read_text())
    access = collection_access(live_sandbox.settings, "mairie-demo", with_secret=True)
    assert access is not None
    [cert] = config["clientCertificates"]["certs"]
    assert (cert["certFilePath"], cert["keyFilePath"]) == (access.cert, access.key)
    assert cert["domain"] == access.base_url.removeprefix("https://")
    collection = (root / "collection.bru").read_text()
    assert "token: {{access_token}}" in collection and 'req.setHeader("X-Correlation-ID"' in collection
    token = (root / "APIM" / "Obtenir un jeton.bru").read_text()
    assert "url: {{baseUrl}}/token" in token and "grant_type: client_credentials" in token
    assert 'bru.setVar("access_token", res.body.access_token)' in token
    environment = (root / "environments" / "sandbox.bru").read_text()
    assert f"clientId: {access.client_id}" in environment and "clientSecret" in environment
    requests = [
        p
        for p in root.rglob("*.bru")
        if p.parent != root and p.name != "folder.bru" and p.parent.name != "environments"
    ]
    assert len(requests) == 1 + 15 + 8  # the token, Impôt particulier, FICOBA
    lep = next(p for p in requests if p.name.startswith("Ouverturelep"))
    text = lep.read_text()
    assert (
        "url: {{baseUrl}}/impotparticulier/1.0/spi/{{spi}}/lep/departement/{{departement}}/annrev/{{annrev}}/bareme/{{bareme}}"
        in text
    )
    assert "ID_Teleservice: {{idTeleservice}}" in text and "auth: inherit" in text
    assert all(str(p) in written for p in [root / "bruno.json"])


def test_export_without_a_prepared_sandbox_says_so(tmp_path) -> None:
    env = {"DGFIP_SANDBOX_VAR_DIR": str(tmp_path / "var"), "DGFIP_SANDBOX_CERTS_DIR": str(tmp_path / "certs")}
    result = CliRunner().invoke(cli, ["export", "postman", "-o", str(tmp_path / "out")], env=env)
    assert result.exit_code == 1
    assert "dgfip-sandbox up" in result.output


def test_the_secret_is_written_only_on_request(live_sandbox, tmp_path) -> None:
    result = CliRunner().invoke(cli, ["export", "postman", "-o", str(tmp_path)], env=_env(live_sandbox))
    assert result.exit_code == 0, result.output
    collection = json.loads((tmp_path / postman.FILE_NAME).read_text())
    variables = {v["key"]: v["value"] for v in collection["variable"]}
    assert variables["clientSecret"] == ""
    assert live_sandbox.consumer("mairie-demo").client_secret not in (tmp_path / postman.FILE_NAME).read_text()
