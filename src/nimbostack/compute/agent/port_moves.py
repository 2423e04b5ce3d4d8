"""Ports follow their server: bound to the host it moves to, before its guest runs there.

Resize and cold migration bind the ports to the destination as it finishes (and
back to the source on revert), unshelve and evacuation to the host that spawns the
guest, live migration to the destination once the guest runs there (the networking
service has no inactive second binding, so the binding moves at the switch-over, as
Nova does without Neutron's multiple port bindings). Where the guest is started here,
the host waits for ``network-vif-plugged`` of every port whose binding moved.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from nimbostack.compute.agent import vifs
from nimbostack.compute.agent.host import AgentHost
from nimbostack.compute.agent.vif_events import VifPlugTimeout, VifWaiter
from nimbostack.compute.instance_record import InstanceRecord
from nimbostack.core.context import RequestContext

LOG = logging.getLogger(__name__)


@dataclass
class Arrival:
    """An instance whose ports were bound here, and the ports whose events are due."""

    instance: InstanceRecord
    waiter: VifWaiter
    moved: list[str] = field(default_factory=list)


async def bind_to(
    agent: AgentHost, ctxt: RequestContext, instance: InstanceRecord, host: str
) -> tuple[InstanceRecord, list[str]]:
    """Bind the instance's ports to ``host`` and record them; the ports that moved."""
    found, moved = await vifs.rebind(agent, instance, host)
    if not moved:
        return instance, []
    values = {"network_info": [vif.to_json() for vif in found]}
    return await agent.conductor.update(ctxt, instance.uuid, values), moved


@asynccontextmanager
async def arriving(
    agent: AgentHost, ctxt: RequestContext, instance: InstanceRecord
) -> AsyncIterator[Arrival]:
    """Bind the ports here (expecting their events first: they may come at once)."""
    waiter = agent.vif_events.expect(instance.uuid)
    try:
        record, moved = await bind_to(agent, ctxt, instance, agent.host)
        yield Arrival(record, waiter, moved)
    finally:
        agent.vif_events.forget(instance.uuid)


async def plugged(agent: AgentHost, arrival: Arrival) -> None:
    """Wait for the moved ports' ``network-vif-plugged`` (``[compute]`` vif options)."""
    timeout = float(agent.conf.compute.vif_plugging_timeout)
    if not arrival.moved or timeout <= 0:
        return
    try:
        await arrival.waiter.wait(arrival.moved, timeout)
    except VifPlugTimeout:
        if agent.conf.compute.vif_plugging_is_fatal:
            raise
        LOG.warning("%s: going on without network-vif-plugged", arrival.instance.uuid)
