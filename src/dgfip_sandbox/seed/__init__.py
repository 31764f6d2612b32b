"""Seeders, run in order by bootstrap: each is ``async def seed(session, settings) -> None``,
idempotent and deterministic. The FranceConnect seeder reads the déclarants, so it runs after the
Impôt particulier population seeder."""

from __future__ import annotations

from dgfip_sandbox.seed import franceconnect

SEEDERS = [
    # impot_particulier.seed goes first (fills foyers/declarants)
    franceconnect.seed,
]
