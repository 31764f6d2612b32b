"""Imports every model module so that ``Base.metadata`` is complete (Alembic, tests)."""

from dgfip_sandbox.store import (  # noqa: F401
    accounts,
    admin_events,
    audit,
    changes,
    consumers,
    franceconnect,
    journal,
    taxpayers,
    testdata,
)
from dgfip_sandbox.store.base import Base

metadata = Base.metadata
