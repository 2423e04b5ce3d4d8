"""The loop watch reports callbacks by the CPU they use, on the stock loop and on uvloop."""

from __future__ import annotations

import asyncio
import gc
import logging
import time

import pytest
import uvloop

from nimbostack.core.loopwatch import MARKER, Blocked, LoopWatch, patch_handles, watched_loop


def burn(ms: float) -> None:
    """Use ``ms`` of this thread's CPU time."""
    until = time.thread_time() + ms / 1000
    while time.thread_time() < until:
        pass


async def busy_handler() -> None:
    await asyncio.sleep(0)
    burn(120)
    await asyncio.sleep(0)


async def patient_handler() -> None:
    # Waiting is not blocking: half a second of sleeps in small CPU slices.
    for _ in range(5):
        await asyncio.sleep(0.1)
        burn(5)


def run_stock(coro_fn: object) -> LoopWatch:
    watch = LoopWatch(50)
    loop = asyncio.new_event_loop()
    try:
        with patch_handles(watch):
            loop.run_until_complete(coro_fn())  # type: ignore[operator]
    finally:
        loop.close()
    return watch


def run_uvloop(coro_fn: object) -> LoopWatch:
    watch = LoopWatch(50)
    with watch.gc_accounting():
        uvloop.run(coro_fn(), loop_factory=watched_loop(uvloop.Loop, watch))  # type: ignore[operator]
    return watch


@pytest.mark.parametrize("run", [run_stock, run_uvloop], ids=["asyncio", "uvloop"])
def test_a_callback_using_cpu_is_reported_with_where_it_stopped(run: object) -> None:
    watch = run(busy_handler)  # type: ignore[operator]
    assert len(watch.found) == 1
    assert watch.found[0].cpu_ms >= 100
    assert "busy_handler" in watch.found[0].callback


@pytest.mark.parametrize("run", [run_stock, run_uvloop], ids=["asyncio", "uvloop"])
def test_time_spent_waiting_is_not_reported(run: object) -> None:
    assert run(patient_handler).found == []  # type: ignore[operator]


def test_garbage_collection_is_left_out() -> None:
    junk = [[i] for i in range(200_000)]
    started = time.thread_time()
    gc.collect()
    collect_ms = (time.thread_time() - started) * 1000

    async def collects() -> None:
        gc.collect()

    watch = LoopWatch(collect_ms / 2)
    loop = asyncio.new_event_loop()
    try:
        with patch_handles(watch):
            loop.run_until_complete(collects())
    finally:
        loop.close()
    assert junk and watch.found == []


def test_an_unarmed_watch_times_nothing_and_the_patch_is_undone() -> None:
    original = asyncio.events.Handle._run
    watch = LoopWatch(50, armed=False)
    loop = asyncio.new_event_loop()
    try:
        with patch_handles(watch):
            loop.run_until_complete(busy_handler())
    finally:
        loop.close()
    assert watch.found == []
    assert asyncio.events.Handle._run is original


def test_a_block_is_logged_with_the_marker(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="nimbostack.loopwatch"):
        run_uvloop(busy_handler)
    assert any(MARKER in r.getMessage() for r in caplog.records)


def blocking_call() -> None:
    time.sleep(0.3)  # no CPU, but the loop waits all the same


async def sleeping_handler() -> None:
    await asyncio.sleep(0)
    blocking_call()
    await asyncio.sleep(0)


def test_a_callback_that_blocks_without_cpu_is_reported_by_wall_time() -> None:
    # A preemption during the callback (a busy machine) would hide it: one of a few
    # attempts must keep its core.
    found: list[Blocked] = []
    for _ in range(5):
        watch = LoopWatch(50, wall_limit_ms=200)
        loop = asyncio.new_event_loop()
        try:
            with patch_handles(watch):
                loop.run_until_complete(sleeping_handler())
        finally:
            loop.close()
        found += watch.found
        if found:
            break
    assert found and found[0].wall_ms is not None and found[0].wall_ms >= 300
    assert found[0].cpu_ms < 50 and "sleeping_handler" in found[0].callback


def test_without_a_wall_limit_waiting_is_not_reported() -> None:
    assert run_stock(sleeping_handler).found == []
