"""Loop watch: finds event-loop callbacks that hold the loop too long, for tests.

One process serves every API on one event loop, so a callback that computes for a
second stalls every service for that second. The watch times each callback by the CPU
time of the loop's thread (``time.thread_time``), less the time the garbage collector
ran meanwhile: on a busy machine the thread may wait for a core, and wall time would
blame the callback for that wait; a collection's cost depends on the whole heap, not
on the callback it happens to interrupt.

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


def describe(callback: Any) -> str:
    """Where a callback is: for a task step, the coroutine chain where it stopped."""
    owner = getattr(callback, "__self__", None)
    if isinstance(owner, asyncio.Task):
        return f"{owner.get_name()} {_await_chain(owner.get_coro())}"
    return repr(callback)


def _await_chain(coro: Any, shown: int = 5) -> str:
    """The task's coroutine and its innermost awaits: where its last step stopped."""
    frames: list[str] = []
    while coro is not None and len(frames) < 100:
        frame = getattr(coro, "cr_frame", None) or getattr(coro, "gi_frame", None)
        if frame is not None:
            code = frame.f_code
            frames.append(f"{code.co_qualname} ({code.co_filename}:{frame.f_lineno})")
        coro = getattr(coro, "cr_await", None) or getattr(coro, "gi_yieldfrom", None)
    if len(frames) > shown + 1:
        frames = [frames[0], "...", *frames[-shown:]]
    return " > ".join(frames)


@dataclass
class LoopWatch:
    """Times callbacks; ``found`` keeps those over ``limit_ms``, ``on_blocked`` hears of each."""

    limit_ms: float
    on_blocked: Callable[[Blocked], None] | None = None
    armed: bool = True  # False: time nothing yet (a process still starting up)
    found: list[Blocked] = field(default_factory=list)
    _gc_cpu: float = 0.0
    _gc_started: float = 0.0

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
            self._gc_started = time.thread_time()
        else:
            self._gc_cpu += time.thread_time() - self._gc_started

    def run(self, call: Callable[..., Any], args: tuple[Any, ...], callback: Any) -> Any:
        """Run ``call(*args)`` and report it if it used more CPU than the limit."""
        if not self.armed:
            return call(*args)
        started, gc_before = time.thread_time(), self._gc_cpu
        try:
            return call(*args)
        finally:
            used = time.thread_time() - started - (self._gc_cpu - gc_before)
            if used * 1000 > self.limit_ms:
                self._report(Blocked(round(used * 1000, 1), describe(callback)))

    def _report(self, blocked: Blocked) -> None:
        self.found.append(blocked)
        LOG.warning(
            "%s: one callback used %.1f ms of CPU (limit %.0f ms): %s",
            MARKER,
            blocked.cpu_ms,
            self.limit_ms,
            blocked.callback,
        )
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
