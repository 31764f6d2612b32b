"""The Alembic chain creates exactly the schema the models describe (for every model module)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine

from dgfip_sandbox.store.migrate import alembic_config
from dgfip_sandbox.store.models import metadata


def test_one_linear_chain() -> None:
    script = ScriptDirectory.from_config(alembic_config("sqlite+aiosqlite://"))
    assert len(script.get_heads()) == 1, f"several Alembic heads: {script.get_heads()}"


def test_head_matches_models(tmp_path: Path) -> None:
    path = tmp_path / "schema.db"
    command.upgrade(alembic_config(f"sqlite+aiosqlite:///{path}"), "head")
    engine = create_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            diff = compare_metadata(context, metadata)
    finally:
        engine.dispose()
    assert diff == [], f"models and migrations differ: {diff}"


def test_downgrade_to_base_and_back(tmp_path: Path) -> None:
    config = alembic_config(f"sqlite+aiosqlite:///{tmp_path / 'cycle.db'}")
    command.upgrade(config, "head")
    command.downgrade(config, "base")
    command.upgrade(config, "head")
