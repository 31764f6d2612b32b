"""Alembic migrations of the sandbox database, shipped inside the package."""
