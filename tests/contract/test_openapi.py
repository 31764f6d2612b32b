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

from pathlib import Path

import pytest

from dgfip_sandbox.assembly import build_gateway_app
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
