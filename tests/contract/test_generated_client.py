"""A client generated from the served document (datamodel-code-generator), making an authenticated call.

The models are generated from ``/impotparticulier/1.0/openapi.json`` as the gateway serves it, into a
temporary module; the call is built from the document alone: the token URL of its OAuth2 client-credentials
scheme, the operation's path and required headers, the mTLS scheme's client certificate. The answer must
validate against the generated model of the operation's 200 (closed: ``extra="forbid"``).
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import uuid
from pathlib import Path

import httpx

from dgfip_sandbox.testing.sandbox import DgfipSandbox

CONSUMER = "mairie-demo"
OPERATION = "SituationsIrAssiettesV1"


def _generate(document: dict, tmp_path: Path):  # type: ignore[no-untyped-def]
    source, target = tmp_path / "openapi.json", tmp_path / "generated_models.py"
    source.write_text(json.dumps(document), encoding="utf-8")
    command = [
        sys.executable,
        "-m",
        "datamodel_code_generator",
        "--input",
        str(source),
        "--input-file-type",
        "openapi",
        "--output-model-type",
        "pydantic_v2.BaseModel",
        "--output",
        str(target),
        "--disable-timestamp",
    ]
    completed = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert completed.returncode == 0, completed.stderr
    spec = importlib.util.spec_from_file_location("generated_models", target)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # the generated annotations are resolved through the module's name
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[spec.name]
    return module


def test_a_generated_client_makes_an_authenticated_call(live_sandbox: DgfipSandbox, served_documents, tmp_path) -> None:
    document = served_documents["impot_particulier"]
    models = _generate(document, tmp_path)

    [(path, operation)] = [
        (p, op) for p, item in document["paths"].items() for op in item.values() if op.get("operationId") == OPERATION
    ]
    [requirement] = operation["security"]
    scopes = requirement["Authorization"]
    flow = document["components"]["securitySchemes"]["Authorization"]["flows"]["clientCredentials"]
    assert document["components"]["securitySchemes"]["mTLS"]["type"] == "mutualTLS"
    credentials = live_sandbox.consumer(CONSUMER)
    with httpx.Client(
        base_url=live_sandbox.gateway_url, verify=live_sandbox.ssl_context(CONSUMER), timeout=30
    ) as client:
        token = client.post(
            flow["tokenUrl"],
            data={"grant_type": "client_credentials", "scope": " ".join(scopes)},
            auth=(credentials.client_id, credentials.client_secret),
        )
        assert token.status_code == 200, token.text
        assert token.json()["scope"].split() == scopes

        values = {p["name"]: p["schema"]["examples"][0] for p in operation["parameters"] if p["in"] == "path"}
        headers = {
            "Authorization": f"Bearer {token.json()['access_token']}",
            "X-Correlation-ID": str(uuid.uuid4()),
            "ID_Teleservice": credentials.id_teleservice or "",
        }
        required = {p["name"] for p in operation["parameters"] if p["in"] == "header" and p["required"]}
        assert required <= set(headers), (
            f"the document requires headers the client does not know: {required - set(headers)}"
        )
        [(media_type, content)] = operation["responses"]["200"]["content"].items()
        response = client.get(
            document["servers"][0]["url"] + path.format(**values), headers={**headers, "Accept": media_type}
        )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == media_type
    model_name = content["schema"]["$ref"].rsplit("/", 1)[-1]
    body = getattr(models, model_name).model_validate(response.json())
    assert body.rfr is not None and body.nbPart is not None  # couple_marie, revenus 2024 (docs/personas.md)
