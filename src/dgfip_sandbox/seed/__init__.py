"""Deterministic seed data. Each seeder is idempotent and runs in the order of ``SEEDERS``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from dgfip_sandbox.settings import Settings

Seeder = Callable[[AsyncSession, Settings], Awaitable[None]]


def _modules() -> list[Any]:
    """The modules providing ``seed(session, settings)`` and ``PERSONAS``, in dependency order: the Impôt
    particulier population first (FICOBA and FranceConnect link to its déclarants). Imported on use: each
    is large, and most importers of this package need none of them."""
    from dgfip_sandbox.franceconnect import seed as franceconnect
    from dgfip_sandbox.seed import ficoba, population

    return [population, ficoba, franceconnect]


def seeders() -> list[Seeder]:
    return [module.seed for module in _modules()]


def all_personas() -> list[dict[str, Any]]:
    personas: list[dict[str, Any]] = []
    for module in _modules():
        personas.extend(getattr(module, "PERSONAS", []))
    return personas
