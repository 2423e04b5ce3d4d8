"""Database access: one database per service, SQLAlchemy 2 async, Alembic migrations."""

from nimbostack.core.db.engine import Database, normalize_url

__all__ = ["Database", "normalize_url"]
