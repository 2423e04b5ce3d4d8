"""The agent's heartbeat: ReportHost with the driver's resources and guests, periodically."""

from __future__ import annotations

import dataclasses
from typing import Any

from nimbostack.compute import states
from nimbostack.compute.agent.drivers.base import GuestNotFound
from nimbostack.compute.agent.host import AgentHost
from nimbostack.core.context import RequestContext


async def guests(agent: AgentHost) -> dict[str, int]:
    found: dict[str, int] = {}
    for uuid in await agent.driver.list_guests():
        try:
            found[uuid] = await agent.driver.power_state(uuid)
        except GuestNotFound:
            found[uuid] = states.NOSTATE
    return found


async def report(agent: AgentHost) -> dict[str, Any]:
    """One heartbeat; also keeps the host's resource provider and inventory current."""
    resources = dataclasses.asdict(await agent.driver.resources())
    resources["traits"] = list(resources.get("traits") or [])
    return await agent.conductor.report(
        RequestContext.admin(), resources, await guests(agent), agent.inventory_options()
    )
