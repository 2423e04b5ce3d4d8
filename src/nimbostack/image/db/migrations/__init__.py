"""Alembic migrations of the image database (applied at start-up)."""
