"""Interfaces attached to and detached from a built server (``os-interface``).

Attach (a call, as in Nova): make the port on the requested network or take the
user's, bind it on this host, record it in the instance's network info, plug it into
a running guest and wait for its ``network-vif-plugged``; a stopped guest gets the NIC
from its spec when it starts. Any failure undoes the steps taken (guest unplugged,
port released, network info as it was) and leaves a fault and a failed action event.
Detach (a cast) runs the steps backwards. The instance's lock makes both wait for
every other operation on the guest, so two never unplug at once.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
from collections.abc import Callable

from nimbostack.compute import states
from nimbostack.compute.agent import guest, vifs
from nimbostack.compute.agent.drivers.base import GuestNotFound
from nimbostack.compute.agent.drivers.base import Vif as HostVif
from nimbostack.compute.agent.host import AgentHost
from nimbostack.compute.agent.vif_events import VifPlugTimeout, VifWaiter
from nimbostack.compute.device_messages import (
    AttachInterface,
    DetachInterface,
    InterfaceAttachFailed,
    PortInUse,
)
from nimbostack.compute.instance_record import InstanceRecord
from nimbostack.compute.messages import InstanceNotFound, UnexpectedTaskState
from nimbostack.compute.network_info import RequestedNetwork, Vif
from nimbostack.core.context import RequestContext

LOG = logging.getLogger(__name__)
ATTACH_EVENT = "compute_attach_interface"
DETACH_EVENT = "compute_detach_interface"
_RUNNING = (states.ACTIVE, states.PAUSED)
_ALLOWED = (*_RUNNING, states.STOPPED)
_Change = Callable[[list[Vif]], list[Vif]]


def _host_vif(instance: InstanceRecord, vif: Vif) -> HostVif | None:
    found = guest.host_vifs(dataclasses.replace(instance, network_info=[vif]))
    return found[0] if found else None


async def attach(agent: AgentHost, ctxt: RequestContext, msg: AttachInterface) -> str:
    uuid = msg.instance_uuid
    async with agent.locks.hold(uuid):
        instance = await agent.conductor.get(ctxt, uuid)
        if instance.vm_state not in _ALLOWED or instance.task_state is not None:
            # Changed since the API checked it (an action started meanwhile).
            raise UnexpectedTaskState(
                f"Cannot 'attach_interface' instance {uuid} while it is in vm_state "
                f"{instance.vm_state}, task_state {instance.task_state}"
            )
        # Expect the port's event before binding it: it may come at once.
        waiter = agent.vif_events.expect(uuid)
        try:
            async with agent.conductor.event(ctxt, uuid, msg.request_id, ATTACH_EVENT):
                vif = await _attach(agent, ctxt, instance, msg, waiter)
        except PortInUse:
            raise
        except Exception as exc:
            LOG.warning("attach of an interface to %s failed: %s", uuid, exc)
            with contextlib.suppress(InstanceNotFound):
                await agent.conductor.fault(ctxt, uuid, exc)
            raise InterfaceAttachFailed(
                f"Failed to attach network adapter device to {uuid}: {exc}"
            ) from None
        finally:
            agent.vif_events.forget(uuid)
        return vif.id


async def _attach(
    agent: AgentHost,
    ctxt: RequestContext,
    instance: InstanceRecord,
    msg: AttachInterface,
    waiter: VifWaiter,
) -> Vif:
    entry = RequestedNetwork(msg.network_id, port_id=msg.port_id, fixed_ip=msg.fixed_ip)
    try:
        vif = await vifs.allocate_one(agent, instance, entry)
    except vifs.PortInUse as exc:
        raise PortInUse(str(exc)) from None
    vif = dataclasses.replace(vif, tag=msg.tag)
    recorded = False
    plugged = False
    host_vif = _host_vif(instance, vif)
    try:
        await _record(agent, ctxt, instance.uuid, lambda vs: [*vs, vif])
        recorded = True
        if host_vif is not None:
            await agent.driver.attach_interface(instance.uuid, host_vif)
            plugged = True
        if instance.vm_state in _RUNNING:
            await _plugged(agent, waiter, vif)
        return vif
    except BaseException:
        if plugged:
            with contextlib.suppress(Exception):
                await agent.driver.detach_interface(instance.uuid, vif.id)
        if recorded:
            with contextlib.suppress(InstanceNotFound):
                await _record(agent, ctxt, instance.uuid, lambda vs: _without(vs, vif.id))
        await vifs.release_one(agent, vif.id, preserve=vif.preserve_on_delete)
        raise


async def _plugged(agent: AgentHost, waiter: VifWaiter, vif: Vif) -> None:
    timeout = float(agent.conf.compute.vif_plugging_timeout)
    if timeout <= 0:
        return
    try:
        await waiter.wait([vif.id], timeout)
    except VifPlugTimeout:
        if agent.conf.compute.vif_plugging_is_fatal:
            raise
        LOG.warning("port %s: going on without network-vif-plugged", vif.id)


def _without(found: list[Vif], port_id: str) -> list[Vif]:
    return [v for v in found if v.id != port_id]


async def _record(
    agent: AgentHost, ctxt: RequestContext, uuid: str, change: _Change
) -> InstanceRecord:
    """Write the instance's network info changed by ``change`` (read fresh first: only
    this host writes it outside a build, under the instance's lock)."""
    current = await agent.conductor.get(ctxt, uuid)
    values = {"network_info": [v.to_json() for v in change(list(current.network_info))]}
    return await agent.conductor.update(ctxt, uuid, values)


async def detach(agent: AgentHost, ctxt: RequestContext, msg: DetachInterface) -> None:
    uuid = msg.instance_uuid
    async with agent.locks.hold(uuid):
        try:
            instance = await agent.conductor.get(ctxt, uuid)
        except InstanceNotFound:
            return
        vif = next((v for v in instance.network_info if v.id == msg.port_id), None)
        if vif is None:
            LOG.info("detach of port %s from %s: not attached", msg.port_id, uuid)
            return
        try:
            async with agent.conductor.event(ctxt, uuid, msg.request_id, DETACH_EVENT):
                with contextlib.suppress(GuestNotFound):
                    await agent.driver.detach_interface(uuid, vif.id)
                await vifs.release_one(agent, vif.id, preserve=vif.preserve_on_delete)
                await _record(agent, ctxt, uuid, lambda vs: _without(vs, vif.id))
        except Exception as exc:
            LOG.warning("detach of port %s from %s failed: %s", vif.id, uuid, exc)
            with contextlib.suppress(InstanceNotFound):
                await agent.conductor.fault(ctxt, uuid, exc)
