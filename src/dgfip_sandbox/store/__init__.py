"""The SQL store: one module per concept (models and their queries), one metadata for Alembic."""
