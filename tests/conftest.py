"""Suite-wide fixtures (a real running cloud, RabbitMQ, PostgreSQL) and the run's summary.

Every run ends with a line of how many tests ran in each layer and which were skipped,
grouped by reason. In CI (``CI=true``) a single skip fails the run: a missing server
or tool fails its tests there already (tests/support/requires.py), and nothing else
may skip.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.cloud import RunningCloud
from tests.support.fixtures import postgres_server, rabbit_server
from tests.support.requires import in_ci
from tests.support.summary import Tally

__all__ = ["cloud", "postgres_server", "rabbit_server"]

TALLY = pytest.StashKey[Tally]()


def pytest_configure(config: pytest.Config) -> None:
    tally = config.stash[TALLY] = Tally()
    config.pluginmanager.register(tally, "nimbostack-tally")  # it hears every test report


def pytest_sessionfinish(session: pytest.Session) -> None:
    if in_ci() and session.config.stash[TALLY].skipped:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    tally = config.stash[TALLY]
    for line in tally.lines():
        terminalreporter.write_line(line)
    if in_ci() and tally.skipped:
        terminalreporter.write_line(
            f"CI: {len(tally.skipped)} skipped tests fail this run", red=True
        )


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
