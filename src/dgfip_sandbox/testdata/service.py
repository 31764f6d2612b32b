"""Adding, listing and removing the integrator's test data: the one service behind ``dgfip-sandbox data``,
the admin API's ``/api/data``, the plugin's ``sandbox.foyer(...)`` / ``compte(...)`` / ``identite(...)``
and ``dgfip-sandbox up --data FILE``.

A data file is written in one transaction: foyers first (so that accounts and identities may name
their déclarants by SPI), then accounts, then identities. Any problem (an SPI already taken, an
unknown guichet, a year outside the taxation calendar…) raises :class:`TestDataError` naming the
field, and the transaction is rolled back: nothing is half-written. Each change is recorded in the
admin audit trail.
"""

from __future__ import annotations

import json
import random
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dgfip_sandbox.clock import Clock
from dgfip_sandbox.spi import random_spi
from dgfip_sandbox.store import admin_events
from dgfip_sandbox.store import testdata as store
from dgfip_sandbox.testdata import model, rows
from dgfip_sandbox.testdata.errors import TestDataError

DEFAULT_GUICHET = ("30004", "00811")  # BNP Paribas, agence Gare du Nord (one of the protocol's examples)


def _rng(*parts: Any) -> random.Random:
    """A generator seeded by the data itself: the same file draws the same SPIs and IBANs."""
    return random.Random(json.dumps(parts, default=str, sort_keys=True))


class TestDataService:
    __test__ = False  # not a pytest test class

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], *, clock: Clock, actor: str = "cli") -> None:
        self.sessionmaker = sessionmaker
        self.clock = clock
        self.actor = actor

    async def add(self, data: model.DataFile, *, source: str, replace: bool = False) -> dict[str, list[dict[str, Any]]]:
        """Write the file's foyers, accounts and identities; what was created (SPIs, IBANs, logins).

        ``replace``: first remove, in the same transaction, what an earlier load of the same source
        created (``up --data FILE`` run again, a file edited and reloaded)."""
        now = self.clock.now()
        created: dict[str, list[dict[str, Any]]] = {"foyers": [], "comptes": [], "identites": []}
        async with self.sessionmaker() as session, session.begin():
            if replace:
                for entry in await store.list_entries(session, source=source):
                    await store.remove_entry(session, entry)
            for index, foyer in enumerate(data.foyers):
                created["foyers"].append(await self._foyer(session, foyer, f"foyers[{index}]", source))
            guichets = await store.guichet_ids(session) if data.comptes else {}
            for index, compte in enumerate(data.comptes):
                created["comptes"].append(await self._compte(session, compte, f"comptes[{index}]", source, guichets))
            for index, identite in enumerate(data.identites):
                created["identites"].append(await self._identite(session, identite, f"identites[{index}]", source))
            for kind, items in created.items():
                for item in items:
                    store.record(
                        session, kind=kind[:-1], key=item["key"], source=source, now=now, rows=item.pop("rows")
                    )
            # Counts only: the audit trail holds no SPI.
            self._event(session, "data_add", {"source": source, **{k: len(v) for k, v in created.items()}})
        return created

    async def remove(self, keys: list[str]) -> list[str]:
        """Remove the objects of these keys (SPI of a foyer's first déclarant, IBAN, login): all or none."""
        async with self.sessionmaker() as session, session.begin():
            entries = []
            for index, key in enumerate(keys):
                entry = await store.find_entry(session, key.strip())
                if entry is None:
                    raise TestDataError(
                        [
                            (
                                f"cles[{index}]",
                                f"« {key[:60]} » : aucune donnée de test de cette clé (SPI, IBAN ou login)",
                            )
                        ]
                    )
                entries.append(entry)
            for entry in entries:
                await store.remove_entry(session, entry)
            removed = [entry.key for entry in entries]
            kinds = sorted({entry.kind for entry in entries})
            self._event(session, "data_remove", {"count": len(removed), "kinds": kinds})
        return removed

    async def list(self, *, kind: str | None = None) -> list[dict[str, Any]]:
        async with self.sessionmaker() as session:
            return [store.entry_as_dict(entry) for entry in await store.list_entries(session, kind=kind)]

    # ---------------------------------------------------------------------------------------------

    def _event(self, session: AsyncSession, action: str, details: dict[str, Any]) -> None:
        admin_events.record(
            session, at=self.clock.now(), actor=self.actor, action=action, consumer_name=None, details=details
        )

    async def _foyer(self, session: AsyncSession, foyer: model.Foyer, where: str, source: str) -> dict[str, Any]:
        problems = rows.Problems()
        rows.check_years(foyer, where, self.clock.now(), problems)
        given = [d.spi for d in foyer.declarants if d.spi]
        for spi in await store.existing_spis(session, given):
            rank = given.index(spi)
            problems.add(f"{where}.declarants[{rank}].spi", f"le SPI {spi} est déjà celui d'un déclarant")
        problems.raise_if_any(source)
        rng = _rng(source, where, foyer.model_dump(mode="json"))
        spis: list[str] = []
        for declarant in foyer.declarants:
            spi = declarant.spi or random_spi(rng)
            while declarant.spi is None and (spi in spis or await store.existing_spis(session, [spi])):
                spi = random_spi(rng)
            spis.append(spi)
        foyer_id = await store.write_foyer(session, rows.foyer_rows(foyer, spis, rng), foyer.nom)
        return {
            "key": spis[0],
            "spis": spis,
            "annees": sorted(a.annee for a in foyer.avis),
            "rows": {"foyer_id": foyer_id},
        }

    async def _compte(
        self,
        session: AsyncSession,
        compte: model.Compte,
        where: str,
        source: str,
        guichets: dict[tuple[str, str], int],
    ) -> dict[str, Any]:
        problems = rows.Problems()
        if compte.banque is None:
            compte = compte.model_copy(update={"banque": DEFAULT_GUICHET[0], "guichet": DEFAULT_GUICHET[1]})
        guichet_id = guichets.get((compte.banque or "", compte.guichet or ""))
        if guichet_id is None:
            known = ", ".join(f"{bank}/{code}" for bank, code in sorted(guichets))
            problems.add(
                f"{where}.guichet", f"guichet {compte.banque}/{compte.guichet} inconnu de FICOBA (connus : {known})"
            )
        rng = _rng(source, where, compte.model_dump(mode="json"))
        iban = rows.new_iban(compte, rng, set())
        while compte.iban is None and await store.existing_ibans(session, [iban]):
            iban = rows.new_iban(compte, rng, {iban})
        if compte.iban is not None and await store.existing_ibans(session, [iban]):
            problems.add(f"{where}.iban", f"l'IBAN {iban} est déjà celui d'un compte de FICOBA")
        spis = [d.personne.spi for d in compte.droits if d.personne.spi and not d.personne.morale]
        declarants = await store.declarants_by_spi(session, spis)
        on_file = await store.ficoba_person_ids_by_spi(session, spis)
        for index, droit in enumerate(compte.droits):
            spi = droit.personne.spi
            unknown = spi is not None and spi not in declarants and spi not in on_file
            if unknown and not droit.personne.morale and droit.personne.nom_naissance is None:
                problems.add(
                    f"{where}.droits[{index}].personne.spi",
                    f"aucun déclarant ni personne de FICOBA n'a le SPI {spi} : donnez aussi son état civil",
                )
        problems.raise_if_any(source)
        assert guichet_id is not None  # noqa: S101 - refused above otherwise
        created_ids: list[int] = []
        droits = []
        for droit in compte.droits:
            personne = droit.personne
            spi = personne.spi if not personne.morale else None
            if spi and personne.nom_naissance is None and spi in on_file:
                personne_id = on_file[spi]
            else:
                values = rows.personne_values(personne, declarants.get(spi or ""), rng)
                personne_id = await store.write_personne(session, values)
                created_ids.append(personne_id)
                if spi:
                    on_file[spi] = personne_id
            droits.append(rows.droit_values(droit, compte, personne_id, self.clock.now().date()))
        compte_id = await store.write_compte(session, rows.compte_values(compte, iban, guichet_id), droits)
        return {"key": iban, "iban": iban, "rows": {"compte_id": compte_id, "personne_ids": created_ids}}

    async def _identite(
        self, session: AsyncSession, identite: model.Identite, where: str, source: str
    ) -> dict[str, Any]:
        problems = rows.Problems()
        declarant = None
        if identite.spi is not None:
            declarant = (await store.declarants_by_spi(session, [identite.spi])).get(identite.spi)
            if declarant is None:
                problems.add(f"{where}.spi", f"aucun déclarant n'a le SPI {identite.spi}")
        login = identite.login or identite.spi or ""
        if await store.existing_logins(session, [login]):
            problems.add(f"{where}.login", f"l'identifiant « {login} » est déjà celui d'une identité FranceConnect")
        problems.raise_if_any(source)
        position = await store.next_citizen_position(session)
        citizen_id = await store.write_citizen(session, rows.citizen(identite, declarant, position))
        return {"key": login, "login": login, "spi": identite.spi, "rows": {"citizen_id": citizen_id}}
