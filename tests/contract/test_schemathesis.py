"""Conformance with a tool nobody here wrote: Schemathesis against a live sandbox over mutual TLS.

Two schemas per API: (a) DGFIP's *published* swagger (../shared/reference/swaggers/ beside the checkout, read where it
is; skipped when absent) and (b) the document the gateway *serves*. For every operation Schemathesis
generates requests from the schema (positive data: what the schema allows), the sandbox answers over
mTLS with a real token, and each answer must:

- conform to the response schema documented for its status and media type (Schemathesis' checks);
- carry a documented status: for (b) one the served document declares; for (a) one the published
  swagger declares or that the served document declares for the same operation — those extra statuses
  are listed by test_openapi_diff.py and in the APIs' Departures;
- be a 5xx only where DGFIP publishes that 5xx for the operation.

Bounded and reproducible: ``EXAMPLES`` cases per operation, Hypothesis derandomized (fixed seed), no
example database, a frozen clock. The transport headers Schemathesis cannot invent (a valid token,
X-Correlation-ID, ID_Teleservice, a FranceConnect token) are set for every case; everything else —
path values, bodies, X-Request-ID — is generated.
"""

from __future__ import annotations

import uuid
from collections import Counter
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import CHECKS, load_all_checks
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from dgfip_sandbox.testing.sandbox import DgfipSandbox
from tests.contract.conftest import SERVED
from tests.contract.published import published as _published

EXAMPLES = 20  # cases per operation, per schema and per mode
CONSUMERS = {"impot_particulier": "mairie-demo", "ficoba": "ficoba-administration"}
FC_PERSONA = "1000000001084"  # couple_marie (docs/personas.md)
FC_SCOPES = ["openid", "given_name", "family_name", "dgfip_rfr", "dgfip_sitfam", "dgfip_nbpart"]

# 5xx DGFIP publishes outside the swagger: FICOBA's CAT012 (X-Request-ID absent or blank) is a 500 in
# annexe 9 of the protocole technique v8; the published swagger types X-Request-ID as any string.
PUBLISHED_ELSEWHERE = {("ficoba", "500"): "CAT012"}

FIGURES: Counter[str] = Counter()

# Schemathesis checks left out of the "every check" run, each for its reason:
# - positive_data_acceptance expects a 2xx for any schema-valid request, but the published schemas (and so the
#   served ones) do not express the business rules DGFIP applies (an SPI's or IBAN's check key, a year in the
#   taxation calendar, FICOBA's criteria rules): such requests get the API's documented 400, as on the real
#   platform.
# - not_a_server_error flags every 5xx, DGFIP's published ones included (FICOBA's CAT012, a 500 for a blank
#   X-Request-ID): the run's own check allows exactly the 5xx DGFIP publishes, and no other.
# - negative_data_rejection: the run sets the headers Schemathesis cannot invent (a valid token,
#   X-Correlation-ID, ID_Teleservice, a FranceConnect token) on every case, over the invalid values it generated
#   for them, so it would report those as "accepted"; every other invalid input is checked by the status rule.
CHECKS_NOT_APPLICABLE = frozenset({"positive_data_acceptance", "not_a_server_error", "negative_data_rejection"})


@pytest.fixture(scope="module")
def sandbox(live_sandbox: DgfipSandbox) -> DgfipSandbox:
    return live_sandbox


@pytest.fixture(scope="module")
def served(served_documents: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return served_documents


@pytest.fixture(scope="module")
def fc_token(sandbox: DgfipSandbox) -> str:
    return sandbox.franceconnect_token(FC_PERSONA, FC_SCOPES).access_token


def _statuses(document: dict[str, Any], method: str, path: str) -> set[str]:
    operation = document["paths"].get(path, {}).get(method.lower(), {})
    return set(operation.get("responses", {}))


def _run_schema(
    sandbox: DgfipSandbox,
    api: str,
    document: dict[str, Any],
    *,
    published: dict[str, Any],
    served: dict[str, Any] | None,
    headers: dict[str, str],
    label: str,
    mode: GenerationMode = GenerationMode.POSITIVE,
    checks: list[Any] | None = None,
) -> list[str]:
    """Run every operation of ``document``; return the failures (one line each). A status is declared
    when ``document`` declares it, or ``served`` (the served document, when ``document`` is the published
    one) declares it for the same operation."""
    schema = schemathesis.openapi.from_dict(document)
    base_url = sandbox.gateway_url + document["servers"][0]["url"].removeprefix("https://IP-GATEWAY")
    credentials = sandbox.consumer(CONSUMERS[api])
    session = requests.Session()
    failures: list[str] = []

    def check(case: Any, response: Any) -> None:
        FIGURES[f"{label} cases"] += 1
        status = str(response.status_code)
        method, path = case.operation.method.upper(), case.operation.path
        declared = _statuses(document, method, path) | (_statuses(served, method, path) if served else set())
        name = f"{label} {method} {path} → {status}"
        if status not in declared and "default" not in declared:
            failures.append(f"{name}: statut non déclaré ({sorted(declared)})")
        FIGURES[f"{label} status {status}"] += 1
        elsewhere = PUBLISHED_ELSEWHERE.get((api, status))
        if elsewhere and f'"code":"{elsewhere}"' in response.text:
            pass  # published with this code
        elif status.startswith("5") and status not in _statuses(published, method, path):
            failures.append(f"{name}: 5xx que DGFIP ne publie pas pour cette opération : {response.text[:200]}")
        if served is not None and status not in _statuses(document, method, path):
            # Declared by the served document only (a documented departure, validated by its own run):
            # the published `default` response of SituationsIrAssiettesFCV1 does not describe it.
            return
        try:
            case.validate_response(response, checks=checks or [response_schema_conformance, content_type_conformance])
        except (AssertionError, BaseExceptionGroup) as exc:  # Schemathesis' check failures
            for failure in exc.exceptions if isinstance(exc, BaseExceptionGroup) else [exc]:
                failures.append(f"{name}: {_summary(failure)}")

    operations = [result.ok() for result in schema.get_all_operations()]
    FIGURES[f"{label} operations"] += len(operations)
    for operation in operations:
        sandbox.reset_quotas()

        @settings(
            max_examples=EXAMPLES,
            derandomize=True,
            database=None,
            deadline=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(generation_mode=mode))
        def run(case: Any) -> None:
            call_headers = {**headers, "X-Correlation-ID": str(uuid.uuid4())}
            response = case.call(
                base_url=base_url,
                session=session,
                headers=call_headers,
                timeout=30,
                verify=str(sandbox.ca_cert),
                cert=credentials.cert_pair,
            )
            check(case, response)

        run()
    session.close()
    FIGURES[f"{label} failures"] += len(failures)
    return failures


def _summary(failure: BaseException) -> str:
    """One line: Schemathesis' title and the validator's message (which field, which schema)."""
    title = getattr(failure, "title", type(failure).__name__)
    message = getattr(failure, "message", str(failure))
    return f"{title} — {' '.join(str(message).split())[:400]}"


def _headers(sandbox: DgfipSandbox, api: str, fc_token: str) -> dict[str, str]:
    consumer = CONSUMERS[api]
    headers = {"Authorization": f"Bearer {sandbox.token(consumer)}", "X-Sandbox-Scenario": "none"}
    if api == "impot_particulier":
        headers["ID_Teleservice"] = sandbox.consumer(consumer).id_teleservice or ""
        headers["X-FranceConnect-OAuth"] = fc_token
    return headers


@pytest.mark.parametrize("api", sorted(SERVED))
def test_published_swagger_against_the_sandbox(sandbox, served, fc_token, api: str) -> None:
    published = _published(api)
    failures = _run_schema(
        sandbox,
        api,
        published,
        published=published,
        served=served[api],
        headers=_headers(sandbox, api, fc_token),
        label=f"publié/{api}",
    )
    assert not failures, "\n".join(failures[:40])


@pytest.mark.parametrize("api", sorted(SERVED))
def test_served_document_against_the_sandbox(sandbox, served, fc_token, api: str) -> None:
    published = _published(api)
    document = served[api]
    failures = _run_schema(
        sandbox,
        api,
        document,
        published=published,
        served=None,
        headers=_headers(sandbox, api, fc_token),
        label=f"servi/{api}",
    )
    assert not failures, "\n".join(failures[:40])


@pytest.mark.parametrize("api", sorted(SERVED))
def test_served_document_negative_data_never_gets_a_5xx(sandbox, served, fc_token, api: str) -> None:
    """Schemathesis' negative mode (data the served document forbids): answered in the API's envelope with a
    documented status, never a 5xx (bad input gets a clear error, never a 500)."""
    document = served[api]
    failures = _run_schema(
        sandbox,
        api,
        document,
        published=_published(api),
        served=None,
        headers=_headers(sandbox, api, fc_token),
        label=f"servi-négatif/{api}",
        mode=GenerationMode.NEGATIVE,
    )
    assert not failures, "\n".join(failures[:40])


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=str)
@pytest.mark.parametrize("api", sorted(SERVED))
def test_served_document_with_every_schemathesis_check(
    sandbox, served, fc_token, api: str, mode: GenerationMode
) -> None:
    """Schemathesis' whole check list (its ``--checks all``: server errors, status codes, content types, headers,
    schemas, negative data rejected, missing required headers, unsupported methods and Allow, ignored auth…)
    on the served document, with positive and with negative data."""
    load_all_checks()
    failures = _run_schema(
        sandbox,
        api,
        served[api],
        published=_published(api),
        served=None,
        headers=_headers(sandbox, api, fc_token),
        label=f"servi-toutes-vérifications-{mode.value}/{api}",
        mode=mode,
        checks=[check for check in CHECKS.get_all() if check.__name__ not in CHECKS_NOT_APPLICABLE],
    )
    assert not failures, "\n".join(failures[:40])


def test_report_figures(capsys: pytest.CaptureFixture[str]) -> None:
    """Print the figures of the runs above (``pytest -s tests/contract/test_schemathesis.py``)."""
    with capsys.disabled():
        for key in sorted(FIGURES):
            print(f"schemathesis {key}: {FIGURES[key]}")
