"""Deterministic seed data. Each seeder is idempotent and runs in the order of ``SEEDERS``."""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from dgfip_sandbox.settings import Settings

Seeder = Callable[[AsyncSession, Settings], Awaitable[None]]

# Modules providing ``seed(session, settings)`` and ``PERSONAS``, in dependency order: the Impôt
# particulier population first (FICOBA and FranceConnect link to its déclarants).
SEEDER_MODULES = (
    "dgfip_sandbox.seed.population",
    "dgfip_sandbox.seed.ficoba",
    "dgfip_sandbox.franceconnect.seed",
)


def _modules() -> list[Any]:
    found = []
    for name in SEEDER_MODULES:
        try:
            found.append(importlib.import_module(name))
        except ModuleNotFoundError as exc:
            if not exc.name or not name.startswith(exc.name):
                raise
    return found


def seeders() -> list[Seeder]:
    return [module.seed for module in _modules()]


def all_personas() -> list[dict[str, Any]]:
    personas: list[dict[str, Any]] = []
    for module in _modules():
        personas.extend(getattr(module, "PERSONAS", []))
    return personas
