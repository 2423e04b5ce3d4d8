"""The networking migrations build exactly the tables the models declare, on both databases."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from nimbostack.core.db.engine import normalize_url
from nimbostack.core.db.migrate import upgrade
from nimbostack.network.db.models import Base
from nimbostack.network.service import MIGRATIONS
from tests.support.postgres import PostgresCluster


def _check(url: str) -> None:
    upgrade(url, MIGRATIONS, Base.metadata)
    upgrade(url, MIGRATIONS, Base.metadata)  # a second run is a no-op
    engine = create_engine(normalize_url(url, sync=True))
    with engine.connect() as conn:
        assert set(inspect(conn).get_table_names()) >= set(Base.metadata.tables)
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    engine.dispose()
    assert diff == [], f"the migrations and the models differ: {diff}"


def test_migrations_on_sqlite(tmp_path: Path) -> None:
    _check(f"sqlite:///{tmp_path}/network.sqlite")


@pytest.mark.postgres
def test_migrations_on_postgres(postgres_server: PostgresCluster) -> None:
    name = f"network_migrations_{uuid.uuid4().hex[:6]}"
    url = postgres_server.create_database(name)
    try:
        _check(url)
    finally:
        postgres_server.drop_database(name)
