"""Client stubs for compute's processes: the conductor, the scheduler and each agent."""

from __future__ import annotations

from typing import Any

from nimbostack.compute.messages import AGENT, CONDUCTOR, SCHEDULER
from nimbostack.core.context import RequestContext
from nimbostack.core.rpc import Message, RpcClient, Transport, host_topic


class ComputeRpc:
    """One object to reach every compute process over the bus."""

    def __init__(self, transport: Transport, *, timeout: float = 60.0, service: str) -> None:
        self.conductor = RpcClient(transport, CONDUCTOR, timeout=timeout, service=service)
        self.scheduler = RpcClient(transport, SCHEDULER, timeout=timeout, service=service)
        self.agents = RpcClient(transport, AGENT, timeout=timeout, service=service)

    async def cast_conductor(self, ctxt: RequestContext, msg: Message) -> None:
        await self.conductor.cast(ctxt, msg)

    async def call_conductor(self, ctxt: RequestContext, msg: Message) -> Any:
        return await self.conductor.call(ctxt, msg)

    async def call_scheduler(self, ctxt: RequestContext, msg: Message) -> Any:
        return await self.scheduler.call(ctxt, msg)

    async def cast_agent(self, ctxt: RequestContext, host: str, msg: Message) -> None:
        await self.agents.cast(ctxt, msg, topic=host_topic(AGENT, host))

    async def call_agent(
        self, ctxt: RequestContext, host: str, msg: Message, *, timeout: float | None = None
    ) -> Any:
        return await self.agents.call(ctxt, msg, topic=host_topic(AGENT, host), timeout=timeout)
