"""Suite-wide fixtures: a real running cloud, and real RabbitMQ and PostgreSQL servers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.cloud import RunningCloud
from tests.support.fixtures import postgres_server, rabbit_server

__all__ = ["cloud", "postgres_server", "rabbit_server"]


@pytest.fixture(scope="session")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningCloud]:
    """One `nimbostack up` for the whole session, in a temp data dir on free ports."""
    data_dir: Path = tmp_path_factory.mktemp("cloud")
    running = RunningCloud.start(data_dir)
    yield running
    running.stop()
    blocked = running.loop_blocks()
    if blocked:
        pytest.fail("the cloud's event loop was blocked:\n" + "\n".join(blocked))
