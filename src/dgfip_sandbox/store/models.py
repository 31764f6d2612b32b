"""Imports every model module so that ``Base.metadata`` is complete (Alembic, tests)."""

from dgfip_sandbox.store import accounts, audit, consumers, franceconnect, taxpayers  # noqa: F401
from dgfip_sandbox.store.base import Base

metadata = Base.metadata
