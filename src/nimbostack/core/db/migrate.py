"""Applies a service's Alembic migrations at start-up, without an env.py per service."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from alembic.config import Config as AlembicConfig
from alembic.runtime.environment import EnvironmentContext
from alembic.script import ScriptDirectory
from psycopg import sql as psql
from sqlalchemy import Connection, MetaData, create_engine, pool, text

from nimbostack.core.db.engine import _sqlite_pragmas, normalize_url, parse_url


def ensure_database(url: str) -> None:
    """Create a PostgreSQL database if it does not exist yet (blocking)."""
    parsed = parse_url(url)
    if parsed.get_backend_name() != "postgresql" or not parsed.database:
        return
    admin_url = normalize_url(parsed.set(database="postgres").render_as_string(False), sync=True)
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT", poolclass=pool.NullPool)
    with engine.connect() as conn:
        exists = conn.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": parsed.database}
        ).scalar()
        if not exists:
            _create_database(conn, parsed.database)
    engine.dispose()


def _create_database(conn: Connection, name: str) -> None:
    # A name is an identifier, not a value: no bind parameter can carry it. psycopg
    # quotes it itself (SQLAlchemy's quoting would also double any "%" for the driver's
    # placeholders, which a statement without parameters keeps as they are).
    statement = psql.SQL("CREATE DATABASE {}").format(psql.Identifier(name))
    conn.connection.driver_connection.execute(statement)  # type: ignore[union-attr]


# Alembic's ``op`` and ``context`` are process-wide proxies: two migrations running at
# once in different threads corrupt each other (and crashed the interpreter), so services
# starting together take turns here.
_ONE_AT_A_TIME = threading.Lock()


def upgrade(url: str, migrations: Path, metadata: MetaData, revision: str = "head") -> None:
    """Bring the database at ``url`` up to ``revision`` (blocking; call it in a thread)."""
    with _ONE_AT_A_TIME:
        _upgrade(url, migrations, metadata, revision)


def _upgrade(url: str, migrations: Path, metadata: MetaData, revision: str) -> None:
    ensure_database(url)
    config = AlembicConfig()
    config.set_main_option("script_location", str(migrations))
    script = ScriptDirectory.from_config(config)
    engine = create_engine(normalize_url(url, sync=True), poolclass=pool.NullPool)
    if url.startswith("sqlite"):
        from sqlalchemy import event

        event.listen(engine, "connect", _sqlite_pragmas)

    def do_upgrade(rev: Any, _context: Any) -> Any:
        return script._upgrade_revs(revision, rev)

    with engine.begin() as conn:
        env = EnvironmentContext(config, script, fn=do_upgrade)
        env.configure(connection=conn, target_metadata=metadata, render_as_batch=True)
        with env.begin_transaction():
            env.run_migrations()
    engine.dispose()
