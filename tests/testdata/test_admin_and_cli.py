"""The same data files through the admin API (``/api/data``) and the CLI (``dgfip-sandbox data``)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
import yaml

from tests.gateway.test_pipeline import assert_envelope
from tests.testdata.test_service import FOYER, IP, SPI

pytestmark = pytest.mark.anyio


async def test_admin_api_loads_json_and_yaml_lists_and_removes(admin) -> None:
    client = admin.client()
    created = await client.post("/api/data", json={"foyers": [FOYER]}, params={"source": "equipe.json"})
    assert created.status_code == 201, created.text
    assert created.json()["foyers"][0]["key"] == SPI
    gateway = await admin.gateway.client("mairie-demo")
    assert (await gateway.get(f"{IP}/spi/{SPI}/situations/ir/assiettes/annrev/2025")).json()["rfr"] == 12345

    compte = {"comptes": [{"droits": [{"personne": {"spi": SPI}}]}]}
    as_yaml = await client.post(
        "/api/data", content=yaml.safe_dump(compte), headers={"Content-Type": "application/yaml"}
    )
    assert as_yaml.status_code == 201, as_yaml.text
    iban = as_yaml.json()["comptes"][0]["iban"]
    listed = (await client.get("/api/data")).json()["data"]
    assert [(d["kind"], d["key"], d["source"]) for d in listed] == [
        ("foyer", SPI, "equipe.json"),
        ("compte", iban, "api"),
    ]

    again = await client.post(
        "/api/data", json={"foyers": [FOYER]}, params={"source": "equipe.json", "replace": "true"}
    )
    assert again.status_code == 201, again.text  # the same file reloaded replaces what it created
    assert (await client.post("/api/data/remove", json={"keys": [iban]})).json() == {"removed": [iban]}
    assert_envelope(await client.post("/api/data/remove", json={"keys": [iban]}), 404, 404, "aucune donnée de test")
    assert [d["key"] for d in (await client.get("/api/data")).json()["data"]] == [SPI]
    events = (await client.get("/api/events")).json()["events"]
    assert [e["action"] for e in events[:2]] == ["data_remove", "data_add"] and events[0]["actor"] == "api"
    assert SPI not in str(events) and iban not in str(events)  # the audit trail counts, it names no SPI


async def test_admin_api_refuses_bad_data_naming_the_field(admin) -> None:
    client = admin.client()
    bad = {
        "foyers": [FOYER],
        "comptes": [{"iban": "FR7630004008110003124795000", "droits": [{"personne": {"spi": SPI}}]}],
    }
    response = await client.post("/api/data", json=bad)
    assert_envelope(response, 400, 400, "comptes[0].iban : IBAN invalide")
    assert (await client.get("/api/data")).json()["data"] == []
    assert_envelope(await client.post("/api/data", content=b"{not json"), 400, 400, "JSON illisible")
    assert_envelope(
        await client.post("/api/data", content=b"- a\n- b", headers={"Content-Type": "application/yaml"}),
        400,
        400,
        "objet attendu",
    )
    assert_envelope(await admin.client(token=None).post("/api/data", json={}), 401, 401)


async def test_cli_add_list_remove_and_refusals(cli, sandbox, tmp_path: Path) -> None:
    good = tmp_path / "equipe.yaml"
    good.write_text(
        yaml.safe_dump({"foyers": [FOYER], "identites": [{"spi": SPI, "login": "alice"}]}, allow_unicode=True)
    )
    added = await asyncio.to_thread(cli, "data", "add", str(good), "--json")  # the CLI runs its own event loop
    created = json.loads(added.stdout)[str(good)]
    assert created["foyers"][0]["key"] == SPI and created["identites"][0]["login"] == "alice"
    gateway = await sandbox.client("mairie-demo")  # the running gateway answers at once
    assert (await gateway.get(f"{IP}/spi/{SPI}/situations/ir/assiettes/annrev/2025")).json()["rfr"] == 12345
    listed = await asyncio.to_thread(cli, "data", "list")
    assert f"foyer     {SPI}" in listed.stdout and "alice" in listed.stdout and "equipe.yaml" in listed.stdout
    twice = await asyncio.to_thread(cli, "data", "add", str(good), ok=False)
    assert twice.exit_code == 1 and "foyers[0].declarants[0].spi : le SPI" in twice.output
    await asyncio.to_thread(cli, "data", "add", str(good), "--replace")

    bad = tmp_path / "faux.json"
    bad.write_text(
        json.dumps({"foyers": [{**FOYER, "declarants": [{**FOYER["declarants"][0], "spi": SPI[:-1] + "9"}]}]})
    )
    refused = await asyncio.to_thread(cli, "data", "add", str(bad), ok=False)
    assert refused.exit_code == 1
    assert (
        "rien n'a été écrit" in refused.output
        and "foyers[0].declarants[0].spi : la clé de contrôle du SPI" in refused.output
    )

    removed = await asyncio.to_thread(cli, "data", "remove", "alice", SPI)
    assert f"{SPI} : supprimé" in removed.stdout
    assert "aucune donnée de test" in (await asyncio.to_thread(cli, "data", "list")).stdout
    unknown = await asyncio.to_thread(cli, "data", "remove", "personne", ok=False)
    assert unknown.exit_code == 1 and "aucune donnée de test de cette clé" in unknown.output


def test_cli_on_a_sandbox_not_prepared_says_what_to_do(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from dgfip_sandbox.cli import app

    env = {"DGFIP_SANDBOX_VAR_DIR": str(tmp_path / "absent"), "DGFIP_SANDBOX_DATABASE_URL": ""}
    result = CliRunner().invoke(app, ["data", "list"], env=env)
    assert result.exit_code == 1 and "lancez d'abord « dgfip-sandbox prepare »" in result.output
