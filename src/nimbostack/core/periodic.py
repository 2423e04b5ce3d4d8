"""Periodic tasks: run a coroutine every N seconds until stopped, surviving its errors."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from nimbostack.core import tracing

LOG = logging.getLogger(__name__)


class PeriodicTask:
    """Calls ``work`` every ``interval`` seconds (first at once, or after one interval).

    An exception is logged and the next run happens on time; ``stop`` cancels the task
    and waits for it, so nothing runs after the service stopped.
    """

    def __init__(
        self,
        name: str,
        interval: float,
        work: Callable[[], Awaitable[object]],
        *,
        at_once: bool = False,
    ) -> None:
        if interval <= 0:
            raise ValueError(f"periodic task {name}: interval must be positive")
        self.name = name
        self.interval = interval
        self.work = work
        self.at_once = at_once
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._loop(), name=f"periodic-{self.name}")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is None:
            return
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    async def run_once(self) -> None:
        try:
            # Periodic work is not a user's request: its RPC and HTTP hops record no span.
            with tracing.unsampled():
                await self.work()
        except Exception:
            LOG.exception("periodic task %s failed", self.name)

    def cancel(self) -> None:
        """Stop without waiting (a crash, in tests)."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()

    async def _loop(self) -> None:
        if self.at_once:
            await self.run_once()
        while True:
            await asyncio.sleep(self.interval)
            await self.run_once()
