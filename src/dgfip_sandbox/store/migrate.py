"""Run Alembic programmatically, from any working directory.

The migrations ship inside the package (``dgfip_sandbox/migrations``, with their ``script.py.mako``):
they are found with ``importlib.resources``, so a wheel installed anywhere migrates its database.
"""

from __future__ import annotations

from importlib.resources import files

from alembic import command
from alembic.config import Config

MIGRATIONS = files("dgfip_sandbox") / "migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade_to_head(url: str) -> None:
    command.upgrade(alembic_config(url), "head")


def downgrade_to_base(url: str) -> None:
    """Every migration undone: each table of the sandbox dropped (``prepare --reset``)."""
    command.downgrade(alembic_config(url), "base")
