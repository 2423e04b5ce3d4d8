"""Shelve on this host: stop, snapshot, then offload now or leave it to the timer.

Offloading destroys the guest and its disks, unbinds its ports from this host and tells
the conductor, which clears the host and frees the placement allocation
(InstanceOffloaded).
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Awaitable, Callable

from nimbostack.compute import states
from nimbostack.compute.agent import port_moves
from nimbostack.compute.agent.drivers.base import GuestNotFound
from nimbostack.compute.agent.host import AgentHost
from nimbostack.compute.messages import SnapshotInstance
from nimbostack.core.context import RequestContext

LOG = logging.getLogger(__name__)
Upload = Callable[[AgentHost, RequestContext, str, str], Awaitable[None]]
SHELVE_TASKS: list[str | None] = [
    states.SHELVING,
    states.SHELVING_IMAGE_PENDING_UPLOAD,
    states.SHELVING_IMAGE_UPLOADING,
]


async def shelve(
    agent: AgentHost, ctxt: RequestContext, msg: SnapshotInstance, upload: Upload
) -> None:
    uuid = msg.instance_uuid
    async with agent.locks.hold(uuid):
        await agent.conductor.get(ctxt, uuid)  # a deleted instance ends it here
        try:
            async with agent.conductor.event(ctxt, uuid, msg.request_id, "compute_shelve_instance"):
                await agent.driver.power_off(uuid)
                await agent.conductor.update(
                    ctxt, uuid, {"task_state": states.SHELVING_IMAGE_UPLOADING}, SHELVE_TASKS
                )
                await upload(agent, ctxt, uuid, msg.image_id)
        except Exception as exc:
            await agent.conductor.fault(ctxt, uuid, exc)
            await agent.conductor.update(
                ctxt,
                uuid,
                {"task_state": None, "power_state": await agent.driver.power_state(uuid)},
                SHELVE_TASKS,
            )
            return
        meta = {"shelved_at": time.time(), "shelved_image_id": msg.image_id}
        meta["shelved_host"] = agent.host
        values = {
            "vm_state": states.SHELVED,
            "task_state": states.SHELVING_OFFLOADING if msg.offload else None,
            "power_state": states.SHUTDOWN,
            "system_metadata": meta,
        }
        await agent.conductor.update(ctxt, uuid, values, SHELVE_TASKS)
        if msg.offload:
            await _offload(agent, ctxt, uuid, msg.request_id)


async def offload(agent: AgentHost, ctxt: RequestContext, uuid: str, request_id: str) -> None:
    """shelve_offload (the timer or the API): free this host of a shelved instance."""
    async with agent.locks.hold(uuid):
        await _offload(agent, ctxt, uuid, request_id)


async def _offload(agent: AgentHost, ctxt: RequestContext, uuid: str, request_id: str) -> None:
    async with agent.conductor.event(ctxt, uuid, request_id, "compute_shelve_offload_instance"):
        with contextlib.suppress(GuestNotFound):
            await agent.driver.destroy(uuid)
        await _unbind_ports(agent, ctxt, uuid)
        await agent.conductor.offloaded(ctxt, uuid, [states.SHELVING_OFFLOADING])


async def _unbind_ports(agent: AgentHost, ctxt: RequestContext, uuid: str) -> None:
    """An offloaded server has no host: its ports stay its own but bound nowhere (the
    host that unshelves it binds them again). A failure is logged; the offload goes on."""
    try:
        instance = await agent.conductor.get(ctxt, uuid)
        await port_moves.bind_to(agent, ctxt, instance, "")
    except Exception:
        LOG.warning("could not unbind the ports of offloaded %s", uuid, exc_info=True)
