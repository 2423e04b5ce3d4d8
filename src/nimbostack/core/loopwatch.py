"""Loop watch: finds event-loop callbacks that hold the loop too long, for tests.

One process serves every API on one event loop, so a callback that computes for a
second stalls every service for that second. The watch times each callback by the CPU
time of the loop's thread (``time.thread_time``), less the time the garbage collector
ran meanwhile: on a busy machine the thread may wait for a core, and wall time would
blame the callback for that wait; a collection's cost depends on the whole heap, not
on the callback it happens to interrupt. Optionally it also bounds the wall time of a
callback that kept its core throughout, which catches sleeping and blocking I/O.

Two ways in, both off unless asked for, so production pays nothing:
- ``patch_handles``: the stock asyncio loop runs every callback through
  ``asyncio.events.Handle._run``, which is patched while the context lasts (tests that
  run services in-process);
- ``watched_loop``: a subclass of a loop class (uvloop's) that wraps each callback it
  schedules (`nimbostack up` under ``[DEFAULT] loop_watch_ms``). Task steps and future
  callbacks go through ``call_soon``, so request handlers are covered.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import resource
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

LOG = logging.getLogger("nimbostack.loopwatch")
# The line a test fixture looks for in a process's log.
MARKER = "EVENT LOOP BLOCKED"


@dataclass(frozen=True)
class Blocked:
    """One callback that held the loop longer than the limit."""

    cpu_ms: float
    callback: str
    wall_ms: float | None = None  # set when reported for waiting (sleep, I/O), not CPU


def _involuntary_switches() -> int:
    """How often the scheduler has taken a core from this thread so far."""
    return resource.getrusage(resource.RUSAGE_THREAD).ru_nivcsw


def describe(callback: Any) -> str:
    """Where a callback is: for a task step, the coroutine chain where it stopped."""
    owner = getattr(callback, "__self__", None)
    if isinstance(owner, asyncio.Task):
        return f"{owner.get_name()} {_await_chain(owner.get_coro())}"
    return repr(callback)


def _await_chain(coro: Any, shown: int = 5) -> str:
    """The task's coroutine and its innermost awaits: where its last step stopped."""
    frames: list[str] = []
    name = getattr(coro, "__qualname__", "")
    for _depth in range(100):
        if coro is None:
            break
        frame = getattr(coro, "cr_frame", None) or getattr(coro, "gi_frame", None)
        if frame is not None:
            code = frame.f_code
            frames.append(f"{code.co_qualname} ({code.co_filename}:{frame.f_lineno})")
        coro = getattr(coro, "cr_await", None) or getattr(coro, "gi_yieldfrom", None)
    if not frames:  # the step finished the coroutine
        return f"{name} (returned)"
    if len(frames) > shown + 1:
        frames = [frames[0], "...", *frames[-shown:]]
    return " > ".join(frames)


@dataclass
class LoopWatch:
    """Times callbacks; ``found`` keeps those over the limits, ``on_blocked`` hears of each.

    ``limit_ms`` bounds the CPU a callback uses. ``wall_limit_ms``, if set, also bounds
    the time it takes when the thread kept its core throughout (no involuntary context
    switch): that catches a callback that sleeps or waits for I/O, without blaming one
    that merely waited for a busy machine.
    """

    limit_ms: float
    on_blocked: Callable[[Blocked], None] | None = None
    armed: bool = True  # False: time nothing yet (a process still starting up)
    wall_limit_ms: float | None = None
    found: list[Blocked] = field(default_factory=list)
    _gc_cpu: float = 0.0
    _gc_wall: float = 0.0
    _gc_started: tuple[float, float] = (0.0, 0.0)

    @contextmanager
    def gc_accounting(self) -> Iterator[None]:
        """Keep count of the CPU time the garbage collector takes, to leave it out."""
        gc.callbacks.append(self._on_gc)
        try:
            yield
        finally:
            gc.callbacks.remove(self._on_gc)

    def _on_gc(self, phase: str, _info: dict[str, Any]) -> None:
        if phase == "start":
            self._gc_started = (time.thread_time(), time.perf_counter())
        else:
            self._gc_cpu += time.thread_time() - self._gc_started[0]
            self._gc_wall += time.perf_counter() - self._gc_started[1]

    def run(self, call: Callable[..., Any], args: tuple[Any, ...], callback: Any) -> Any:
        """Run ``call(*args)`` and report it if it held the loop past a limit."""
        if not self.armed:
            return call(*args)
        cpu, wall, gc_cpu, gc_wall = time.thread_time(), time.perf_counter(), *self._gc_now()
        switches = _involuntary_switches() if self.wall_limit_ms is not None else 0
        try:
            return call(*args)
        finally:
            cpu_ms = (time.thread_time() - cpu - (self._gc_cpu - gc_cpu)) * 1000
            wall_ms = (time.perf_counter() - wall - (self._gc_wall - gc_wall)) * 1000
            if cpu_ms > self.limit_ms:
                self._report(Blocked(round(cpu_ms, 1), describe(callback)))
            elif (
                self.wall_limit_ms is not None
                and wall_ms > self.wall_limit_ms
                and _involuntary_switches() == switches
            ):
                self._report(Blocked(round(cpu_ms, 1), describe(callback), round(wall_ms, 1)))

    def _gc_now(self) -> tuple[float, float]:
        return self._gc_cpu, self._gc_wall

    def _report(self, blocked: Blocked) -> None:
        self.found.append(blocked)
        if blocked.wall_ms is None:
            what = f"used {blocked.cpu_ms:.1f} ms of CPU (limit {self.limit_ms:.0f} ms)"
        else:
            what = (
                f"held the loop {blocked.wall_ms:.1f} ms without being preempted "
                f"(limit {self.wall_limit_ms:.0f} ms)"
            )
        LOG.warning("%s: one callback %s: %s", MARKER, what, blocked.callback)
        if self.on_blocked is not None:
            self.on_blocked(blocked)


@contextmanager
def patch_handles(watch: LoopWatch) -> Iterator[LoopWatch]:
    """Time every callback of the stock asyncio loops while the context lasts."""
    original = asyncio.events.Handle._run

    def _run(handle: asyncio.events.Handle) -> None:
        watch.run(original, (handle,), handle._callback)  # type: ignore[attr-defined]

    asyncio.events.Handle._run = _run  # type: ignore[method-assign,assignment]
    try:
        with watch.gc_accounting():
            yield watch
    finally:
        asyncio.events.Handle._run = original  # type: ignore[method-assign]


class _Timed:
    """A scheduled callback, timed when the loop runs it."""

    __slots__ = ("callback", "watch")

    def __init__(self, callback: Callable[..., Any], watch: LoopWatch) -> None:
        self.callback = callback
        self.watch = watch

    def __call__(self, *args: Any) -> Any:
        return self.watch.run(self.callback, args, self.callback)

    def __repr__(self) -> str:
        return repr(self.callback)


def watched_loop(base: type[asyncio.AbstractEventLoop], watch: LoopWatch) -> Callable[[], Any]:
    """A factory of ``base`` loops whose scheduled callbacks are timed by ``watch``."""

    def timed(callback: Any) -> Any:
        return callback if isinstance(callback, _Timed) else _Timed(callback, watch)

    class WatchedLoop(base):  # type: ignore[valid-type,misc]
        def call_soon(self, callback: Any, *args: Any, context: Any = None) -> Any:
            return super().call_soon(timed(callback), *args, context=context)

        def call_soon_threadsafe(self, callback: Any, *args: Any, context: Any = None) -> Any:
            return super().call_soon_threadsafe(timed(callback), *args, context=context)

        def call_later(self, delay: float, callback: Any, *args: Any, context: Any = None) -> Any:
            return super().call_later(delay, timed(callback), *args, context=context)

        def call_at(self, when: float, callback: Any, *args: Any, context: Any = None) -> Any:
            return super().call_at(when, timed(callback), *args, context=context)

    return WatchedLoop
