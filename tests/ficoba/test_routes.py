"""API FICOBA through the gateway (harness: ``sandbox.client(<demo consumer>)``)."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from sqlalchemy import select

from dgfip_sandbox.apis.ficoba import models
from dgfip_sandbox.seed import ficoba as seed
from dgfip_sandbox.store.audit import AuditRecord
from tests.ficoba.helpers import body

BASE = "/fcb-masrestit/api/v2"
ADMIN, BANQUE = "ficoba-administration", "ficoba-banque"
ADMIN_SIRET, BANQUE_SIRET = "13002526500013", "89999999900019"

pytestmark = pytest.mark.anyio


def headers(**extra: str) -> dict[str, str]:
    return {"X-Request-ID": str(uuid.uuid4()), "Accept": "application/json", **extra}


async def post(
    sandbox, consumer: str, route: str, criteres: dict[str, Any], *, hdrs: dict | None = None, **envelope: Any
):
    client = await sandbox.client(consumer)
    siret = ADMIN_SIRET if consumer == ADMIN else BANQUE_SIRET
    envelope.setdefault("siretDemandeur", siret)
    envelope.setdefault("motif", "0003" if consumer == ADMIN else "0100")
    return await client.post(
        f"{BASE}/comptes/{route}", json=body(criteres, **envelope), headers=hdrs if hdrs is not None else headers()
    )


async def test_etat_sante(sandbox):
    client = await sandbox.client(ADMIN)
    response = await client.get(f"{BASE}/etatSante", headers=headers())
    assert response.status_code == 200
    assert response.json() == {"descriptif": "L'API est opérationnelle"}


async def test_num_cpte_documented_example(sandbox):
    response = await post(sandbox, ADMIN, "numCpte", {"iban": "FR7630004009550000135601429", "verificationCompte": "0"})
    assert response.status_code == 200, response.text
    data = response.json()
    assert data["referenceDemande"].startswith("FCB_2026_") and len(data["referenceDemande"]) == 18
    assert data["nombreReponses"] == "001"
    compte = data["reponses"]["comptes"][0]
    assert compte["etablissementGestionnaire"]["etablissement"]["bicEtablissement"] == "BNPAFRPPXXX"
    droits = {next(iter(a.values()))["droitSurCompte"] for a in compte["ayantsDroits"]}
    assert droits == {"Titulaire", "Procuration"}
    assert response.headers["x-correlation-id"]


async def test_spi_round_trip_with_audit(sandbox):
    response = await post(
        sandbox, ADMIN, "spi", {"numeroSPI": seed.SPI_DUBOIS}, justification="Contrôle DUBOIS Daniel REF 42"
    )
    assert response.status_code == 200, response.text
    assert response.json()["reponses"][0]["nombreComptes"] == "003"
    async with sandbox.state.sessionmaker() as session:
        record = (await session.execute(select(AuditRecord).order_by(AuditRecord.id.desc()))).scalars().first()
    assert record.api == "ficoba"
    assert record.spi == seed.SPI_DUBOIS
    assert record.extra["justification"] == "Contrôle DUBOIS Daniel REF 42"
    assert record.extra["referenceDemande"] == response.json()["referenceDemande"]
    assert "comptes.caracteristiqueCompte.iban" in record.fields_returned


async def test_no_result_is_200_with_message(sandbox):
    response = await post(sandbox, ADMIN, "spi", {"numeroSPI": "3900000199000"})
    assert response.status_code == 200
    data = response.json()
    assert data["messageInformatif"]["code"] == "CAF007"
    assert data["messageInformatif"]["horodatage"] == "2026-11-25T10:00:00.000Z"
    assert "reponses" not in data


async def test_caf_error_envelope(sandbox):
    response = await post(sandbox, ADMIN, "spi", {"numeroSPI": "123"})
    assert response.status_code == 400
    assert response.json() == {
        "erreur": {
            "code": "CAF004",
            "message": "Format SPI incorrect : 3 caractères au lieu de 13",
            "horodatage": "2026-11-25T10:00:00.000Z",
        }
    }


async def test_missing_request_id_is_cat012(sandbox):
    response = await post(sandbox, ADMIN, "spi", {"numeroSPI": seed.SPI_DUBOIS}, hdrs={"Accept": "application/json"})
    assert response.status_code == 500
    assert response.json()["erreur"]["code"] == "CAT012"


async def test_not_acceptable(sandbox):
    response = await post(sandbox, ADMIN, "spi", {"numeroSPI": seed.SPI_DUBOIS}, hdrs=headers(Accept="application/xml"))
    assert response.status_code == 406
    assert response.json()["erreur"]["code"] == "406"


async def test_vendor_media_type_accepted(sandbox):
    vendor = "application/vnd.dgfip.ficoba3.v1.1+json"
    client = await sandbox.client(ADMIN)
    response = await client.post(
        f"{BASE}/comptes/spi",
        content=json.dumps(body({"numeroSPI": seed.SPI_DUBOIS})),
        headers=headers(Accept=vendor, **{"Content-Type": vendor}),
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(vendor)


@pytest.mark.parametrize("version", ["v1.7", "v2", "v1.1.0"])
async def test_a_vendor_version_that_does_not_exist_is_refused(sandbox, version):
    vendor = f"application/vnd.dgfip.ficoba3.{version}+json"
    client = await sandbox.client(ADMIN)
    payload = json.dumps(body({"numeroSPI": seed.SPI_DUBOIS}))
    refused = await client.post(f"{BASE}/comptes/spi", content=payload, headers=headers(Accept=vendor))
    assert refused.status_code == 406
    assert refused.json()["erreur"]["code"] == "406"
    assert "version inconnue" in refused.json()["erreur"]["message"]
    sent = await client.post(
        f"{BASE}/comptes/spi",
        content=payload,
        headers=headers(**{"Content-Type": vendor, "Accept": "application/json"}),
    )
    assert sent.status_code == 400
    assert sent.json()["erreur"]["code"] == "CAT002"


async def test_malformed_json_is_cat002(sandbox):
    client = await sandbox.client(ADMIN)
    response = await client.post(
        f"{BASE}/comptes/spi", content=b'{"dateDemande": ', headers=headers(**{"Content-Type": "application/json"})
    )
    assert response.status_code == 400
    assert response.json()["erreur"]["code"] == "CAT002"


async def test_unknown_field_is_caf002_not_422(sandbox):
    response = await post(sandbox, ADMIN, "spi", {"numeroSPI": seed.SPI_DUBOIS, "extra": "x"})
    assert response.status_code == 400
    assert response.json()["erreur"]["code"] == "CAF002"


async def test_body_too_large_is_413(sandbox):
    response = await post(sandbox, ADMIN, "spi", {"numeroSPI": seed.SPI_DUBOIS}, justification="x" * 70000)
    assert response.status_code == 413
    assert "erreur" in response.json()


async def test_modality_refused(sandbox):
    response = await post(sandbox, BANQUE, "spi", {"numeroSPI": seed.SPI_DUBOIS})
    assert response.status_code == 400
    assert response.json()["erreur"]["code"] == "CAF031"


async def test_motif_refused(sandbox):
    response = await post(sandbox, ADMIN, "spi", {"numeroSPI": seed.SPI_DUBOIS}, motif="0021")
    assert response.json()["erreur"]["code"] == "CAF031"


async def test_unknown_demandeur(sandbox):
    response = await post(sandbox, ADMIN, "spi", {"numeroSPI": seed.SPI_DUBOIS}, siretDemandeur=BANQUE_SIRET)
    assert response.json()["erreur"]["code"] == "CAF030"


async def test_bank_verif_iban_and_multi_det(sandbox):
    response = await post(
        sandbox,
        BANQUE,
        "verifIban",
        {
            "iban": "FR7611689007003478364737625",
            "recherchePP": "1",
            "recherchePM": "0",
            "rechercheSirenSiret": "0",
            "etatCivil": {
                "nom": "CORBUSIER",
                "prenoms": "CHARLES-EDOUARD",
                "sexe": "",
                "anneeNaissance": "1911",
                "moisNaissance": "11",
                "jourNaissance": "11",
            },
            "lieuNaissance": {
                "codePaysNaissance": "99100",
                "codeDepartementNaissance": "78",
                "codeCommuneNaissance": "498",
            },
            "designation": {"raisonSociale": "", "sigle": "", "enseigne": "", "codeCategorieJuridique": ""},
            "siret": "",
            "siren": "",
        },
    )
    assert response.status_code == 200, response.text
    assert response.json()["reponses"] == {"verificationCompte": {"ibanExistant": "1"}}

    response = await post(
        sandbox,
        BANQUE,
        "multiDet",
        {
            "accordClient": "1",
            "codeNatureCompte": "201",
            "recherchePP": "0",
            "recherchePM": "0",
            "rechercheSIRENSIRET": "1",
            "criteresSiretSiren": {"siret": "", "siren": "518767462"},
        },
        motif="0021",
    )
    assert response.status_code == 200, response.text
    data = response.json()
    assert data["nRep"] == data["getnRep"] == "1" and data["nombreReponses"] == "001"
    models.ReponseMultiDetention.model_validate(data)  # the served document's closed schema describes it
    assert data["comptes"][0]["iban"] == seed.IBAN_AEROLINK


async def test_administration_may_not_check_multi_detention(sandbox):
    response = await post(
        sandbox,
        ADMIN,
        "multiDet",
        {
            "accordClient": "0",
            "codeNatureCompte": "201",
            "recherchePP": "0",
            "recherchePM": "0",
            "rechercheSIRENSIRET": "1",
            "criteresSiretSiren": {"siren": "518767462"},
        },
    )
    assert response.json()["erreur"]["code"] == "CAF031"
