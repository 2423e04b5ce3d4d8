"""Functional tests fail when a service run in-process blocks the event loop.

Every callback the stock asyncio loop runs during a test's call phase is timed by the
CPU time it uses (core/loopwatch.py); one over LOOP_WATCH_MS fails the test. Fixture
set-up and tear-down (migrations, seeding) are not timed: they are not requests. A
module may allow more with ``pytest.mark.loop_watch_ms(N)``, saying why.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from nimbostack.core.loopwatch import LoopWatch, patch_handles
from tests.support.cloud import LOOP_WATCH_MS


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    marker = item.get_closest_marker("loop_watch_ms")
    limit = float(marker.args[0]) if marker else LOOP_WATCH_MS
    with patch_handles(LoopWatch(limit)) as watch:
        result = yield
    if watch.found:
        lines = "\n".join(f"{b.cpu_ms} ms: {b.callback}" for b in watch.found)
        pytest.fail(f"a callback blocked the event loop over {limit} ms:\n{lines}")
    return result
