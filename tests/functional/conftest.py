"""Functional tests fail when a service run in-process blocks the event loop.

Every callback the stock asyncio loop runs during a test's call phase is timed by the
CPU time it uses (core/loopwatch.py); one over LOOP_WATCH_MS fails the test. The
watch's wall-time bound is not used here: services run in a thread beside the test's
own loop, so a callback waiting for the GIL looks like one that sleeps. Fixture
set-up and tear-down (migrations, seeding) are not timed: they are not requests. A
module may allow more with ``pytest.mark.loop_watch_ms(N)``, saying why. Services a
test runs on a loop in a thread of this process (tests/support/local_cloud.py) are
timed too. Tests on a `nimbostack up` subprocess (a ``RunningCloud`` argument) are
not timed here: this loop runs only their client, and the cloud's process watches its
own loop; ``0`` does the same for other tests whose services run in a process of
their own.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from nimbostack.clients import tls
from nimbostack.core.loopwatch import Blocked, LoopWatch, patch_handles
from tests.support.cloud import LOOP_WATCH_MS, RunningCloud


@pytest.fixture(scope="session", autouse=True)
def _tls_context_built() -> None:
    """Build the shared TLS context before any service runs, as the entry points do.

    Loading the system's certificate authorities takes 50-90 ms of CPU; in `nimbostack
    up` it happens before the loop starts, so a service's first HTTP client never pays
    it on the loop. Without this, whichever in-process test first made a client would
    be blamed for it.
    """
    tls.context()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    marker = item.get_closest_marker("loop_watch_ms")
    limit = float(marker.args[0]) if marker else LOOP_WATCH_MS
    funcargs = getattr(item, "funcargs", {})
    if limit == 0 or any(isinstance(arg, RunningCloud) for arg in funcargs.values()):
        # The services run in the cloud's own process, which watches its loop itself.
        return (yield)
    watch = LoopWatch(limit)
    with patch_handles(watch):
        result = yield
    if watch.found:
        lines = "\n".join(_line(b) for b in watch.found)
        pytest.fail(f"a callback blocked the event loop over its limit:\n{lines}")
    return result


def _line(blocked: Blocked) -> str:
    if blocked.wall_ms is None:
        return f"{blocked.cpu_ms} ms of CPU: {blocked.callback}"
    return f"{blocked.wall_ms} ms waiting, not preempted: {blocked.callback}"
