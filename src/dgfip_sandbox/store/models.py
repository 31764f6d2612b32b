"""Imports every model module so that ``Base.metadata`` is complete (Alembic, tests)."""

from dgfip_sandbox.store import accounts, admin_events, audit, consumers, franceconnect, journal, taxpayers, testdata  # noqa: F401
from dgfip_sandbox.store.base import Base

metadata = Base.metadata
