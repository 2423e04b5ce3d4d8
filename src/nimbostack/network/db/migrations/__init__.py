"""Alembic migrations of the networking database."""
