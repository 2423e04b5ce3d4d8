"""Client stubs for block storage's processes: the schedulers and each backend's manager."""

from __future__ import annotations

from typing import Any

from nimbostack.core.context import RequestContext
from nimbostack.core.rpc import Message, RpcClient, Transport, host_topic
from nimbostack.volume.messages import MANAGER, SCHEDULER


def backend_of(host: str) -> str:
    """``host@backend`` of a volume's ``host@backend#pool``: the manager that owns it."""
    return host.partition("#")[0]


def manager_topic(host: str) -> str:
    """The topic of the manager owning a volume on ``host`` (with or without a pool)."""
    return host_topic(MANAGER, backend_of(host))


class VolumeRpc:
    """One object to reach the volume scheduler and managers over the bus."""

    def __init__(self, transport: Transport, *, timeout: float = 60.0, service: str) -> None:
        self.scheduler = RpcClient(transport, SCHEDULER, timeout=timeout, service=service)
        self.managers = RpcClient(transport, MANAGER, timeout=timeout, service=service)

    async def cast_scheduler(self, ctxt: RequestContext, msg: Message) -> None:
        await self.scheduler.cast(ctxt, msg)

    async def call_scheduler(self, ctxt: RequestContext, msg: Message) -> Any:
        return await self.scheduler.call(ctxt, msg)

    async def fanout_schedulers(self, ctxt: RequestContext, msg: Message) -> None:
        await self.scheduler.fanout(ctxt, msg)

    async def fanout_managers(self, ctxt: RequestContext, msg: Message) -> None:
        await self.managers.fanout(ctxt, msg)

    async def cast_manager(self, ctxt: RequestContext, host: str, msg: Message) -> None:
        await self.managers.cast(ctxt, msg, topic=manager_topic(host))

    async def call_manager(
        self, ctxt: RequestContext, host: str, msg: Message, *, timeout: float | None = None
    ) -> Any:
        return await self.managers.call(ctxt, msg, topic=manager_topic(host), timeout=timeout)
