"""Periodic tasks run on time, survive their errors, and are awaited when stopped."""

from __future__ import annotations

import asyncio

from nimbostack.core.periodic import PeriodicTask


async def test_runs_repeatedly_and_survives_errors() -> None:
    calls: list[int] = []
    enough = asyncio.Event()

    async def work() -> None:
        calls.append(len(calls))
        if len(calls) == 1:
            raise RuntimeError("first run fails")
        if len(calls) >= 3:
            enough.set()

    task = PeriodicTask("test", 0.001, work)
    task.start()
    await asyncio.wait_for(enough.wait(), 5)
    await task.stop()
    assert len(calls) >= 3


async def test_stop_waits_for_a_running_call_to_end() -> None:
    started, finished = asyncio.Event(), asyncio.Event()

    async def work() -> None:
        started.set()
        try:
            await asyncio.sleep(60)
        finally:
            finished.set()

    task = PeriodicTask("slow", 0.001, work)
    task.start()
    await asyncio.wait_for(started.wait(), 5)
    await task.stop()
    assert finished.is_set()  # cancelled and awaited, not left running


async def test_at_once_runs_before_the_first_interval() -> None:
    ran = asyncio.Event()

    async def work() -> None:
        ran.set()

    task = PeriodicTask("eager", 3600, work, at_once=True)
    task.start()
    await asyncio.wait_for(ran.wait(), 5)
    await task.stop()
