"""Session fixtures for real servers: `rabbit_server` and `postgres_server`.

Import them into a conftest (``from tests.support.fixtures import rabbit_server``).
Each server starts on first use and stops at the end of the session; a test that needs
one is skipped when the server is not installed, and fails in CI (support/requires.py).
The servers are kept here rather than in the fixtures, so conftests at several levels
that import the same fixture still share one server per session.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.postgres import PG_BIN, PostgresCluster, postgres_available
from tests.support.rabbitmq import RabbitBroker, rabbitmq_available
from tests.support.requires import require

_shared: dict[str, RabbitBroker | PostgresCluster] = {}


@pytest.fixture(scope="session")
def rabbit_server() -> Iterator[RabbitBroker]:
    """A RabbitMQ broker for the session; ``rabbit_server.url`` is its transport URL."""
    require(rabbitmq_available(), "rabbitmq-server", "tests of the AMQP transport need a broker")
    broker = _shared.get("rabbit")
    if not isinstance(broker, RabbitBroker):
        broker = _shared["rabbit"] = RabbitBroker()
        broker.start()
    yield broker
    _shared.pop("rabbit", None)
    broker.cleanup()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresCluster]:
    """A PostgreSQL cluster for the session; ``create_database(name)`` returns a URL."""
    require(
        postgres_available(), f"PostgreSQL server in {PG_BIN}", "tests on PostgreSQL need a server"
    )
    cluster = _shared.get("postgres")
    if not isinstance(cluster, PostgresCluster):
        cluster = _shared["postgres"] = PostgresCluster()
        cluster.start()
    yield cluster
    _shared.pop("postgres", None)
    cluster.cleanup()
