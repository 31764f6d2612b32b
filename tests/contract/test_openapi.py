"""OpenAPI fidelity: the gateway's OpenAPI document against DGFIP's published operations.

The facts below are taken from DGFIP's published swaggers (not copied into the project):

- API Impôt particulier 1.0, OpenAPI 3.0.1, server ``https://IP-GATEWAY/impotparticulier/1.0``;
  every operation is a GET with an OAuth scope (RessourceIR, RessourceIRFacture, RessourceIRDerniere,
  RessourceIRDerniere2, RessourceIRMultiple, RessourceIFI, RessourceTHPrincipale, RessourceLEP);
  routes without ``/spi/{spi}`` are the FranceConnect variants (suffix ``FCV1``).
- API FICOBA v2 (``FICOBA_API``), OpenAPI 3.0.1, server ``/fcb-masrestit/api/v2`` (the January 2025
  variant with the APIM error catalogue lists the same eight operations).

A route is served at the server URL's path followed by the published path, with the published
operationId; the gateway exposes no other operation under those prefixes.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dgfip_sandbox.assembly import build_gateway_app, build_openapi_documents, shipped_files
from dgfip_sandbox.contract import render, shipped_document
from dgfip_sandbox.settings import Settings

IMPOT_PARTICULIER_PREFIX = "/impotparticulier/1.0"
IMPOT_PARTICULIER = {
    ("GET", "/spi/{spi}/dernieresituation/ir/assiettes/deuxans"): "situationsIrAssiettesDeuxDernierMillesimeV1",
    ("GET", "/spi/{spi}/dernieresituation/ir/assiettes/annrev/{annrev}"): "derniereSituationsIrAssiettesV1",
    ("GET", "/dernieresituation/ir/assiettes/deuxans"): "situationsIrAssiettesDeuxDernierMillesimeFCV1",
    ("GET", "/dernieresituation/ir/assiettes/annrev/{annrev}"): "derniereSituationsIrAssiettesFCV1",
    ("GET", "/spi/{spi}/lep/departement/{departement}/annrev/{annrev}/bareme/{bareme}"): "Ouverturelep",
    ("GET", "/spi/{spi}/situations/ir/assiettes/multiple/annrev/{annrev}"): "SituationsIrAssiettesMultipleV1",
    ("GET", "/spi/{spi}/situations/ir/assiettes/annrev/{annrev}"): "SituationsIrAssiettesV1",
    ("GET", "/situations/ir/assiettes/multiple/annrev/{annrev}"): "SituationsIrAssiettesMultipleFCV1",
    ("GET", "/situations/ir/assiettes/annrev/{annrev}"): "SituationsIrAssiettesFCV1",
    ("GET", "/spi/{spi}/situations/ir/factures/annrev/{annrev}"): "SituationsIrFacturesV1",
    ("GET", "/situations/ir/factures/annrev/{annrev}"): "SituationsIrFacturesFCV1",
    ("GET", "/spi/{spi}/situations/ifiisf/assiettes/annrev/{annrev}"): "SituationIfiIsfV1",
    ("GET", "/situations/ifiisf/assiettes/annrev/{annrev}"): "SituationIfiIsfFCV1",
    ("GET", "/spi/{spi}/situations/th/assiettes/principale/annrev/{annrev}"): "SituationsTHPV1",
    ("GET", "/situations/th/assiettes/principale/annrev/{annrev}"): "SituationsTHPFCV1",
}

FICOBA_PREFIX = "/fcb-masrestit/api/v2"
FICOBA = {
    ("GET", "/etatSante"): "getInfo",
    ("POST", "/comptes/numCpte"): "rechercherCompteParNumCpte",
    ("POST", "/comptes/siretSiren"): "rechercherCompteParSiretSiren",
    ("POST", "/comptes/spi"): "rechercherComptesSpi",
    ("POST", "/comptes/perPhy"): "rechercherComptesPersonnePhysique",
    ("POST", "/comptes/perPro"): "rechercherComptesPerPro",
    ("POST", "/comptes/multiDet"): "rechercherMultiDetention",
    ("POST", "/comptes/verifIban"): "rechercherCompteParNumCpte_1",
}

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


@pytest.fixture(scope="module")
def operations(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], str | None]:
    root: Path = tmp_path_factory.mktemp("openapi")
    app = build_gateway_app(Settings(var_dir=root / "var", certs_dir=root / "certs", _env_file=None))
    document = app.openapi()
    assert document["openapi"].startswith("3.")
    return {
        (method.upper(), path): operation.get("operationId")
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in HTTP_METHODS
    }


def _under(operations: dict[tuple[str, str], str | None], prefix: str) -> dict[tuple[str, str], str | None]:
    return {(m, p[len(prefix) :]): op for (m, p), op in operations.items() if p.startswith(prefix + "/")}


@pytest.mark.parametrize(
    ("prefix", "published"),
    [(IMPOT_PARTICULIER_PREFIX, IMPOT_PARTICULIER), (FICOBA_PREFIX, FICOBA)],
    ids=["impot_particulier", "ficoba"],
)
def test_every_published_operation_is_served_with_its_operation_id(operations, prefix: str, published: dict) -> None:
    served = _under(operations, prefix)
    missing = sorted(f"{m} {prefix}{p}" for (m, p) in published if (m, p) not in served)
    assert not missing, f"published operations missing from the gateway: {missing}"
    wrong = {f"{m} {prefix}{p}": (served[(m, p)], op) for (m, p), op in published.items() if served[(m, p)] != op}
    assert not wrong, f"operationId (served, published): {wrong}"


@pytest.mark.parametrize(
    ("prefix", "published"),
    [(IMPOT_PARTICULIER_PREFIX, IMPOT_PARTICULIER), (FICOBA_PREFIX, FICOBA)],
    ids=["impot_particulier", "ficoba"],
)
def test_no_unpublished_operation_under_the_published_prefixes(operations, prefix: str, published: dict) -> None:
    extra = sorted(f"{m} {prefix}{p}" for (m, p) in _under(operations, prefix) if (m, p) not in published)
    assert not extra, f"operations the published contract does not have: {extra}"


def test_operation_ids_are_unique(operations) -> None:
    ids = [op for op in operations.values() if op]
    assert len(ids) == len(set(ids))


# ---------------------------------------------------------------------------------------------------
# The documents themselves (gateway/openapi.py): valid OpenAPI 3.1, shipped, complete.


@pytest.fixture(scope="module")
def documents(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    root: Path = tmp_path_factory.mktemp("openapi-documents")
    return build_openapi_documents(Settings(var_dir=root / "var", certs_dir=root / "certs", _env_file=None))


def test_every_document_is_valid_openapi_3_1(documents) -> None:
    from openapi_spec_validator import validate
    from openapi_spec_validator.validation.validators import OpenAPIV31SpecValidator

    assert set(documents) == {
        "/openapi.json",
        "/impotparticulier/1.0/openapi.json",
        "/fcb-masrestit/api/v2/openapi.json",
    }
    for document in documents.values():
        assert document["openapi"] == "3.1.0"
        validate(document, cls=OpenAPIV31SpecValidator)


def test_the_shipped_files_are_the_built_documents(documents) -> None:
    """dgfip_sandbox/contract/*.json are what the gateway serves (regenerate: dgfip-sandbox export openapi
    -o src/dgfip_sandbox/contract)."""
    for url, file_name in shipped_files().items():
        assert render(shipped_document(file_name)) == render(documents[url]), f"{file_name} is stale"


def _operations_of(document: dict) -> dict[tuple[str, str], dict]:
    return {
        (method.upper(), path): operation
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in HTTP_METHODS
    }


def _parameter(operation: dict, name: str) -> dict | None:
    return next((p for p in operation.get("parameters", []) if p["name"].lower() == name.lower()), None)


@pytest.mark.parametrize(
    ("url", "published", "headers"),
    [
        (
            "/impotparticulier/1.0/openapi.json",
            IMPOT_PARTICULIER,
            ("Authorization", "X-Correlation-ID", "ID_Teleservice"),
        ),
        ("/fcb-masrestit/api/v2/openapi.json", FICOBA, ("Authorization", "X-Correlation-ID", "X-Request-ID")),
    ],
    ids=["impot_particulier", "ficoba"],
)
def test_api_document_layout_headers_security_and_errors(documents, url: str, published: dict, headers: tuple) -> None:
    document = documents[url]
    assert document["servers"][0]["url"] == url.removesuffix("/openapi.json")
    operations = _operations_of(document)
    assert {key: op["operationId"] for key, op in operations.items()} == published
    schemes = document["components"]["securitySchemes"]
    assert schemes["mTLS"]["type"] == "mutualTLS"
    assert schemes["Authorization"]["flows"]["clientCredentials"]["tokenUrl"] == "/token"
    for (_method, path), operation in operations.items():
        for name in headers:
            parameter = _parameter(operation, name)
            assert parameter is not None and parameter["required"] is True, f"{path}: {name}"
        if "{spi}" not in path and url.startswith("/impot"):
            assert _parameter(operation, "X-FranceConnect-OAuth")["required"] is True, path
        scenario = _parameter(operation, "X-Sandbox-Scenario")
        assert scenario["x-sandbox"] is True and scenario["required"] is False
        assert "422" not in operation["responses"]
        for status in ("400", "401", "403", "429"):
            content = operation["responses"][status]["content"]["application/json"]["schema"]
            assert "ReponseErreurApim" in json.dumps(content), f"{path} {status}: the APIM envelope"
        success = operation["responses"]["200"]
        assert all(m.startswith("application/") and m.endswith("json") for m in success["content"])
        assert success["headers"]["RateLimit"]["x-sandbox"] is True
        [requirement] = operation["security"]
        assert set(requirement) == {"mTLS", "Authorization"}
    if url.startswith("/impot"):
        scopes = {op["operationId"]: op["security"][0]["Authorization"] for op in operations.values()}
        assert scopes["SituationsIrAssiettesV1"] == ["RessourceIR"]
        assert scopes["Ouverturelep"] == ["RessourceLEP"]
        assert scopes["situationsIrAssiettesDeuxDernierMillesimeFCV1"] == ["RessourceIRDerniere2"]
        assert (
            "application/prs.dgfip.part.situations.ir.assiettes.v1+json"
            in (
                operations[("GET", "/spi/{spi}/situations/ir/assiettes/annrev/{annrev}")]["responses"]["200"]["content"]
            )
        )
    else:
        body = operations[("POST", "/comptes/perPhy")]["requestBody"]
        assert body["required"] is True
        assert body["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/DemandePerPhy"}
        assert document["components"]["schemas"]["DemandePerPhy"]["additionalProperties"] is False


def test_combined_document_marks_the_sandbox_routes_and_hides_metrics(documents) -> None:
    combined = documents["/openapi.json"]
    assert "/metrics" not in combined["paths"]
    assert "/openapi.json" not in combined["paths"]
    for path, item in combined["paths"].items():
        if path.startswith("/sandbox/"):
            assert all(op.get("x-sandbox") is True for op in item.values()), path
    assert "/token" in combined["paths"]
    assert "HTTPValidationError" not in combined["components"]["schemas"]
