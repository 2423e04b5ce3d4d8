"""Database URLs: created databases keep odd names intact, bad URLs never show a password."""

from __future__ import annotations

import psycopg
import pytest

from nimbostack.core.db import Database
from nimbostack.core.db.engine import mask_password, normalize_url
from nimbostack.core.db.migrate import ensure_database
from nimbostack.core.errors import ConfigError
from tests.support.postgres import PostgresCluster

SECRET = "s3cr3t-pw"


@pytest.mark.postgres
def test_a_database_name_is_quoted_as_an_identifier(postgres_server: PostgresCluster) -> None:
    # Quotes, a colon (a bind marker to SQLAlchemy) and a percent (to the driver).
    odd = 'nimbo "x"; drop:it 100%'
    base = postgres_server.url("postgres").rsplit("/", 1)[0]
    try:
        ensure_database(f"{base}/{odd}")
        ensure_database(f"{base}/{odd}")  # already there: a no-op
        with psycopg.connect(postgres_server.url("postgres").replace("+psycopg", "")) as conn:
            names = [row[0] for row in conn.execute("SELECT datname FROM pg_database")]
        assert odd in names
        assert "nimbo " not in names
    finally:
        postgres_server.drop_database(odd)


@pytest.mark.parametrize(
    "url",
    [
        f"postgresql://nimbo:{SECRET}@db.example:notaport/nimbo",
        f"postgresql://nimbo:{SECRET}@with@at@db.example:x/nimbo",
        f"postgresql://nimbo:{SECRET}/slash@db.example:x/nimbo",
    ],
)
def test_an_unparsable_url_is_reported_without_its_password(url: str) -> None:
    with pytest.raises(ConfigError) as caught:
        normalize_url(url)
    message = str(caught.value)
    assert "cannot parse" in message
    assert SECRET not in message
    assert "nimbo:***@" in message
    with pytest.raises(ConfigError) as again:
        Database(url)
    assert SECRET not in str(again.value)


def test_masking_leaves_urls_without_a_password_alone() -> None:
    assert mask_password("postgresql://nimbo@db/x") == "postgresql://nimbo@db/x"
    assert mask_password("sqlite:////var/lib/x.sqlite") == "sqlite:////var/lib/x.sqlite"
    assert mask_password(f"rabbit://u:{SECRET}@h:5672/") == "rabbit://u:***@h:5672/"
