"""Alembic revisions, applied in order by ``dgfip_sandbox.store.migrate``."""
