"""Runs one agent host: its RPC server, start-up reconciliation and periodic tasks.

Heartbeats, the other periodic tasks and the start-up reconciliation are not traced:
on an idle host they would be nearly every span stored.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Awaitable, Callable

from nimbostack.compute.agent import heartbeat, power_sync, recover, unhandled
from nimbostack.compute.agent.host import AgentHost
from nimbostack.compute.agent.manager import AgentManager
from nimbostack.compute.messages import AGENT
from nimbostack.core import tracing
from nimbostack.core.periodic import PeriodicTask
from nimbostack.core.rpc import RpcServer

LOG = logging.getLogger(__name__)


class AgentRunner:
    """Serves ``compute.agent.<host>`` and keeps the host's heartbeat and power sync going."""

    def __init__(self, agent: AgentHost, *, max_concurrency: int = 64) -> None:
        self.agent = agent
        self.server = RpcServer(
            agent.rpc.agents.transport,
            AGENT,
            AgentManager(agent),
            service="compute-agent",
            host=agent.host,
            max_concurrency=max_concurrency,
            on_failed_cast=functools.partial(unhandled.cast_failed, agent),
        )
        self._tasks: list[PeriodicTask] = []

    async def start(self, *, periodic: bool = True) -> None:
        """Adopt guests, report once (so the host is schedulable), reconcile, then serve."""
        await self.agent.driver.init_host(self.agent.host)
        with tracing.unsampled():
            await heartbeat.report(self.agent)
        await self.server.start()
        with tracing.unsampled():
            await recover.recover(self.agent)
        if periodic:
            opts = self.agent.conf.compute_agent
            self._every(float(opts.report_interval), lambda: heartbeat.report(self.agent))
            self._every(float(opts.sync_power_state_interval), lambda: power_sync.sync(self.agent))
            prune = max(60.0, min(float(opts.image_cache_max_idle), 3600.0))
            self._every(prune, lambda: power_sync.prune_images(self.agent))

    def _every(self, seconds: float, work: Callable[[], Awaitable[object]]) -> None:
        task = PeriodicTask(f"agent {self.agent.host}", seconds, work)
        task.start()
        self._tasks.append(task)

    async def stop(self) -> None:
        """Stop serving and the periodic tasks (the guests keep running)."""
        for task in self._tasks:
            await task.stop()
        self._tasks.clear()
        await self.server.stop()

    async def kill(self) -> None:
        """Stop at once, as a crash would: tasks cancelled, no waiting for handlers."""
        for task in self._tasks:
            task.cancel()
        self._tasks.clear()
        # stop() cancels the subscriptions first, then waits for handlers: skip the wait.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.server.stop(), 0.05)
