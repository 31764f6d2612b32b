"""The SPI routes through the whole gateway (harness: certificate, token, X-Correlation-ID, ID_Teleservice)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import update

from dgfip_sandbox.apis.impot_particulier import datapass
from dgfip_sandbox.seed import personas_impot as P
from dgfip_sandbox.store.consumers import Consumer

pytestmark = pytest.mark.anyio

BASE = "/impotparticulier/1.0"
COUPLE = P.SPI_COUPLE_DEC1

ROUTES: list[tuple[str, str, str, str]] = [
    # (operationId, path, OAuth scope, vendor media type)
    (
        "SituationsIrAssiettesV1",
        f"/spi/{COUPLE}/situations/ir/assiettes/annrev/2025",
        "RessourceIR",
        "application/prs.dgfip.part.situations.ir.assiettes.v1+json",
    ),
    (
        "SituationsIrFacturesV1",
        f"/spi/{COUPLE}/situations/ir/factures/annrev/2025",
        "RessourceIRFacture",
        "application/prs.dgfip.part.situations.ir.factures.v1+json",
    ),
    (
        "derniereSituationsIrAssiettesV1",
        f"/spi/{COUPLE}/dernieresituation/ir/assiettes/annrev/2025",
        "RessourceIRDerniere",
        "application/prs.dgfip.part.derniere.situations.ir.assiettes.v1+json",
    ),
    (
        "situationsIrAssiettesDeuxDernierMillesimeV1",
        f"/spi/{COUPLE}/dernieresituation/ir/assiettes/deuxans",
        "RessourceIRDerniere2",
        "application/prs.dgfip.part.derniere.situations.ir.assiettes.v1+json",
    ),
    (
        "SituationsIrAssiettesMultipleV1",
        f"/spi/{COUPLE}/situations/ir/assiettes/multiple/annrev/2025",
        "RessourceIRMultiple",
        "application/prs.dgfip.part.situations.ir.assiettes.multiple.v1+json",
    ),
    (
        "SituationIfiIsfV1",
        f"/spi/{P.SPI_IFI}/situations/ifiisf/assiettes/annrev/2025",
        "RessourceIFI",
        "application/prs.dgfip.situations.ifiisf.assiettes.v1+json",
    ),
    (
        "SituationsTHPV1",
        f"/spi/{COUPLE}/situations/th/assiettes/principale/annrev/2022",
        "RessourceTHPrincipale",
        "application/prs.dgfip.part.situations.th.assiettes.v1+json",
    ),
    (
        "Ouverturelep",
        f"/spi/{P.SPI_LEP_ELIGIBLE}/lep/departement/59/annrev/2024/bareme/2025",
        "RessourceLEP",
        "application/prs.dgfip.part.ouverturelep.v1+json",
    ),
]


def assert_envelope(response: Any, status: int, code: int, *fragments: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"erreur"} and body["erreur"]["code"] == code, body
    datetime.fromisoformat(body["erreur"]["horodatage"])
    for fragment in fragments:
        assert fragment in body["erreur"]["message"], body["erreur"]["message"]
    return body["erreur"]


async def _set_datapass(sandbox: Any, name: str, scopes: frozenset[str]) -> None:
    async with sandbox.state.sessionmaker() as session, session.begin():
        await session.execute(update(Consumer).where(Consumer.name == name).values(datapass_scopes=sorted(scopes)))


async def test_openapi_operation_ids(sandbox) -> None:
    paths = sandbox.app.openapi()["paths"]
    for operation_id, _path, _scope, media_type in ROUTES:
        template = next(p for p in paths if p.startswith(BASE) and operation_id == paths[p]["get"]["operationId"])
        assert media_type in paths[template]["get"]["responses"]["200"]["content"]


@pytest.mark.parametrize(("operation_id", "path", "scope", "media_type"), ROUTES, ids=[r[0] for r in ROUTES])
async def test_each_route_answers_with_its_media_type(
    sandbox, operation_id: str, path: str, scope: str, media_type: str
) -> None:
    await _set_datapass(sandbox, "mairie-demo", frozenset(datapass.PUBLISHED_SCOPES) | set(datapass.TH_LOCAL_SCOPES))
    client = await sandbox.client("mairie-demo")
    response = await client.get(BASE + path, headers={"Accept": "*/*"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == media_type
    assert response.headers["x-correlation-id"]
    body = response.json()
    assert body, operation_id
    # The route demands its own OAuth scope: a token without it is refused by the gateway.
    other = "RessourceIFI" if scope != "RessourceIFI" else "RessourceIR"
    narrow = await sandbox.client("mairie-demo", scopes=[other])
    assert_envelope(await narrow.get(BASE + path), 403, 900910)


async def test_bodies(sandbox) -> None:
    await _set_datapass(sandbox, "mairie-demo", frozenset(datapass.PUBLISHED_SCOPES) | {datapass.BESOINS_SPECIFIQUES})
    client = await sandbox.client("mairie-demo")
    body = (await client.get(f"{BASE}/spi/{COUPLE}/situations/ir/assiettes/annrev/2025")).json()
    assert body["sitFam"] == "M" and body["nmNaiDec2"] == "MARTIN" and body["datEtab"] == "2026-07-24"
    assert (await client.get(f"{BASE}/spi/{P.SPI_IFI}/situations/ifiisf/assiettes/annrev/2024")).json() == {
        "indicateurIfiIsf": "O"
    }
    lep = await client.get(f"{BASE}/spi/{P.SPI_LEP_REUNION}/lep/departement/974/annrev/2024/bareme/2025")
    assert lep.json() == {"statut": "O"}
    multiple = (await client.get(f"{BASE}/spi/{P.SPI_VEUVE}/situations/ir/assiettes/multiple/annrev/2024")).json()
    assert [item["typeAvis"] for item in multiple["situationsIR"]] == [1, 2]
    derniere = (await client.get(f"{BASE}/spi/{P.SPI_DECEDE}/dernieresituation/ir/assiettes/annrev/2024")).json()
    assert derniere["sitFam"] == "V" and derniere["annRevenu"] == 2024


async def test_accept_json_and_406(sandbox) -> None:
    client = await sandbox.client("mairie-demo")
    path = f"{BASE}/spi/{COUPLE}/situations/ir/assiettes/annrev/2025"
    response = await client.get(path, headers={"Accept": "application/json"})
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    vendor = "application/prs.dgfip.part.situations.ir.assiettes.v1+json"
    assert (await client.get(path, headers={"Accept": vendor})).headers["content-type"] == vendor
    assert_envelope(await client.get(path, headers={"Accept": "text/html"}), 406, 406, "Format de réponse non supporté")


async def test_id_teleservice_required_and_checked(sandbox) -> None:
    client = await sandbox.client("mairie-demo")
    path = f"{BASE}/spi/{COUPLE}/situations/ir/assiettes/annrev/2025"
    del client.headers["ID_Teleservice"]
    assert_envelope(await client.get(path), 403, 4031, "L'utilisateur n'a pas accès à la ressource", "absent")
    other = sandbox.consumer("caf-demo")["id_teleservice"]
    assert_envelope(await client.get(path, headers={"ID_Teleservice": other}), 403, 4031, "n'est pas celui")


@pytest.mark.parametrize(
    ("path", "status", "code", "fragment"),
    [
        ("/spi/123/situations/ir/assiettes/annrev/2025", 400, 4001, "13 caractères"),
        ("/spi/4000000001084/situations/ir/factures/annrev/2025", 400, 4001, "commencer par 0, 1, 2 ou 3"),
        ("/spi/1000000001085/dernieresituation/ir/assiettes/deuxans", 400, 4001, "clé de contrôle"),
        (f"/spi/{COUPLE}/situations/ir/assiettes/annrev/20x5", 400, 4002, "annrev"),
        (f"/spi/{COUPLE}/situations/ifiisf/assiettes/annrev/99999", 400, 4002, "annrev"),
        (f"/spi/{COUPLE}/lep/departement/20/annrev/2024/bareme/2025", 400, 4007, "département"),
        (f"/spi/{COUPLE}/lep/departement/59/annrev/2024/bareme/25", 400, 4002, "bareme"),
        (f"/spi/{COUPLE}/situations/ir/assiettes/annrev/2026", 410, 4101, "pas encore taxés"),
        (f"/spi/{P.SPI_VEUVE}/situations/ir/assiettes/annrev/2024", 410, 4101, "plusieurs avis"),
        (f"/spi/{P.SPI_VEUVE}/situations/ir/factures/annrev/2024", 410, 4101, "plusieurs avis"),
        (f"/spi/{P.SPI_TARDIF}/situations/ir/assiettes/annrev/2025", 410, 4101, "aucun avis"),
        (f"/spi/{COUPLE}/situations/ifiisf/assiettes/annrev/2025", 410, 4101, "IFI"),
        (f"/spi/{COUPLE}/situations/th/assiettes/principale/annrev/2023", 410, 4101, "plus alimentée"),
        (f"/spi/{P.SPI_INCONNU}/situations/ir/assiettes/annrev/2025", 410, 4102, "aucun usager"),
        (f"/spi/{P.SPI_INCONNU}/lep/departement/75/annrev/2024/bareme/2025", 410, 4102, "aucun usager"),
        (f"/spi/{COUPLE}/situations/ir/assiettes/annrev/2021", 403, 4031, "n'est pas couverte"),
    ],
)
async def test_errors(sandbox, path: str, status: int, code: int, fragment: str) -> None:
    client = await sandbox.client("mairie-demo")
    assert_envelope(await client.get(BASE + path), status, code, fragment)


async def test_lep_no_answer_is_204(sandbox) -> None:
    client = await sandbox.client("mairie-demo")
    response = await client.get(f"{BASE}/spi/{P.SPI_VEUVE}/lep/departement/80/annrev/2024/bareme/2025")
    assert response.status_code == 204 and response.content == b""


async def test_resource_scope_missing_is_4031(sandbox) -> None:
    await _set_datapass(
        sandbox, "mairie-demo", frozenset(datapass.PUBLISHED_SCOPES) - {"dgfip_indiIFI", "dgfip_IndLep"}
    )
    client = await sandbox.client("mairie-demo")
    assert_envelope(
        await client.get(f"{BASE}/spi/{P.SPI_IFI}/situations/ifiisf/assiettes/annrev/2025"), 403, 4031, "dgfip_indiIFI"
    )
    lep = f"{BASE}/spi/{P.SPI_LEP_ELIGIBLE}/lep/departement/59/annrev/2024/bareme/2025"
    assert_envelope(await client.get(lep), 403, 4031, "dgfip_IndLep")


async def test_restricted_datapass_consumer(sandbox) -> None:
    client = await sandbox.client("caf-demo")
    body = (await client.get(f"{BASE}/spi/{P.SPI_FAMILLE_NOMBREUSE}/situations/ir/assiettes/annrev/2025")).json()
    assert body == {"sitFam": "M", "nbPart": 7.0, "pac": {"nbPac": 6}}
    derniere = (await client.get(f"{BASE}/spi/{P.SPI_FAMILLE_NOMBREUSE}/dernieresituation/ir/assiettes/deuxans")).json()
    assert derniere == {"annRevenu": 2025, "sitFam": "M", "nbPart": 7.0, "pac": {"nbPac": 6}}
    # caf-demo holds only N-1.
    assert_envelope(await client.get(f"{BASE}/spi/{COUPLE}/situations/ir/assiettes/annrev/2024"), 403, 4031, "2024")


async def test_without_dgfip_rfr_no_route_returns_rfr(sandbox) -> None:
    await _set_datapass(
        sandbox, "mairie-demo", (frozenset(datapass.PUBLISHED_SCOPES) | {datapass.BESOINS_SPECIFIQUES}) - {"dgfip_rfr"}
    )
    client = await sandbox.client("mairie-demo")
    seen = 0
    for spi in (COUPLE, P.SPI_VEUVE, P.SPI_IFI):
        for _op, path, _scope, _media in ROUTES:
            path = path.replace(COUPLE, spi).replace(P.SPI_IFI, spi).replace(P.SPI_LEP_ELIGIBLE, spi)
            for year in ("2023", "2024", "2025"):
                response = await client.get(BASE + path.replace("annrev/2025", f"annrev/{year}"))
                if response.status_code == 200:
                    seen += 1
                    assert '"rfr"' not in response.text, path
    assert seen >= 20


async def test_year_scopes_follow_the_clock(sandbox) -> None:
    # The clock only moves forward here: certificates and tokens are dated by the same clock.
    caf = await sandbox.client("caf-demo")
    mairie = await sandbox.client("mairie-demo")
    path = f"{BASE}/spi/{COUPLE}/situations/ir/assiettes/annrev"
    late = f"{BASE}/spi/{P.SPI_TARDIF}/situations/ir/assiettes/annrev/2025"
    assert (await caf.get(f"{path}/2025")).status_code == 200
    assert_envelope(await mairie.get(late), 410, 4101, "aucun avis")
    deux_ans = f"{BASE}/spi/{P.SPI_TARDIF}/dernieresituation/ir/assiettes/deuxans"
    assert (await mairie.get(deux_ans)).json()["annRevenu"] == 2024

    sandbox.clock.set(datetime(2026, 12, 15, 0, 0, tzinfo=UTC))  # 01:00 in Paris: the late avis exists
    mairie = await sandbox.client("mairie-demo")
    assert (await mairie.get(late)).json()["sitFam"] == "C"
    assert (await mairie.get(deux_ans)).json()["annRevenu"] == 2025

    sandbox.clock.set(datetime(2026, 12, 31, 23, 0, tzinfo=UTC))  # 1 January 2027 in Paris
    caf = await sandbox.client("caf-demo")
    assert_envelope(await caf.get(f"{path}/2025"), 403, 4031, "2026")  # N-1 is now 2026
    assert_envelope(await caf.get(f"{path}/2026"), 410, 4101, "pas encore taxés", "24/07/2027")
    assert_envelope(await caf.get(f"{BASE}/spi/{COUPLE}/dernieresituation/ir/assiettes/deuxans"), 403, 4031)


async def test_audit_records_spi_fields_and_outcome(sandbox) -> None:
    client = await sandbox.client("caf-demo")
    await client.get(f"{BASE}/spi/{COUPLE}/situations/ir/assiettes/annrev/2025")
    await client.get(f"{BASE}/spi/{P.SPI_INCONNU}/situations/ir/assiettes/annrev/2025")
    records = (await client.get("/sandbox/audit")).json()["records"]
    ours = [r for r in records if r["api"] == "impot_particulier"]
    unknown, ok = ours[0], ours[1]
    assert ok["spi"] == COUPLE and ok["status"] == 200 and ok["fields_returned"] == ["sitFam", "nbPart", "pac"]
    assert unknown["spi"] == P.SPI_INCONNU and unknown["status"] == 410 and unknown["outcome"] == "4102"
