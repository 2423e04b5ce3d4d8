"""Block storage tables and their Alembic migrations."""
