"""The image migrations (0001 then 0002) on SQLite and on PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text

from nimbostack.core.db.migrate import upgrade
from nimbostack.image.db.models import Base
from nimbostack.image.service import MIGRATIONS
from tests.support.postgres import PostgresCluster

TABLES = {"image_tasks", "metadef_namespaces", "metadef_objects", "metadef_tags"}


def _check(url: str, sync_url: str) -> None:
    upgrade(url, MIGRATIONS, Base.metadata)
    upgrade(url, MIGRATIONS, Base.metadata)  # a second run is a no-op
    engine = create_engine(sync_url)
    with engine.connect() as conn:
        assert set(inspect(conn).get_table_names()) >= TABLES
        names = conn.execute(text("SELECT name FROM metadef_resource_types")).scalars().all()
        assert "OS::Glance::Image" in names
    engine.dispose()


def test_migrations_on_sqlite(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/image.sqlite"
    _check(url, url)


@pytest.mark.postgres
def test_migrations_on_postgres(postgres_server: PostgresCluster) -> None:
    url = postgres_server.create_database("image_migrations")
    try:
        _check(url, url)
    finally:
        postgres_server.drop_database("image_migrations")
