"""A build's volumes on this host: made (from an image, a snapshot, or blank), connected.

Before the guest starts, the agent creates the volumes the request spec asks for
(block storage's volume create, then waits until it is ``available``), reserves each
for the server (an attachment) and records its block device mapping through the
conductor. Then every mapping still ``attaching`` (those too the API reserved for
volumes the user named) is connected with this host's connector and completed, so
the driver gets them all with their connection, the root one with boot index 0.

``BuildVolumes`` remembers what this attempt made, so a failed build deletes those
volumes again and puts the user's own back to ``attaching`` for another host.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass, field

from nimbostack.clients.volume import VolumeClient, VolumeError
from nimbostack.compute.agent import volumes
from nimbostack.compute.agent.drivers.base import DriverError
from nimbostack.compute.agent.host import AgentHost
from nimbostack.compute.block_device_request import RequestedDevice, from_spec
from nimbostack.compute.instance_record import (
    BDM_ATTACHED,
    BDM_ATTACHING,
    BlockDevice,
    InstanceRecord,
)
from nimbostack.compute.messages import AddBlockDevice
from nimbostack.core import tracing
from nimbostack.core.context import RequestContext

LOG = logging.getLogger(__name__)
# How long a new volume may take to become available (an image copy takes a while).
CREATE_TIMEOUT = 600.0
_POLL = 0.5


class VolumeCreateFailed(DriverError):
    """Block storage could not make a volume the server is to boot with."""


@dataclass
class MadeVolume:
    volume_id: str
    attachment_id: str | None = None
    bdm_uuid: str | None = None


@dataclass
class BuildVolumes:
    """The volumes this build attempt made (to delete on failure) and their mappings."""

    made: list[MadeVolume] = field(default_factory=list)


async def prepare(
    agent: AgentHost, ctxt: RequestContext, instance: InstanceRecord, made: BuildVolumes
) -> InstanceRecord:
    """Make the requested volumes, connect every reserved one here; the fresh record."""
    wanted = [d for d in from_spec(instance.request_spec) if d.makes_volume]
    if not wanted and not instance.block_device_mappings:
        return instance
    with tracing.span("prepare volumes", service="compute-agent", instance_uuid=instance.uuid):
        taken = {b.device_name for b in instance.block_device_mappings}
        async with agent.block_storage().client(ctxt) as cinder:
            for device in wanted:
                name = _device_name(device, taken)
                taken.add(name)
                await _make(agent, ctxt, cinder, instance.uuid, device=device, name=name, made=made)
            instance = await agent.conductor.get(ctxt, instance.uuid)
            for bdm in instance.block_device_mappings:
                if bdm.status == BDM_ATTACHING:
                    await _connect(agent, ctxt, cinder, bdm)
    return await agent.conductor.get(ctxt, instance.uuid)


def _device_name(device: RequestedDevice, taken: set[str]) -> str:
    if device.boot_index == 0:
        return "/dev/vda"
    for letter in "bcdefghijklmnopqrstuvwxyz":
        if f"/dev/vd{letter}" not in taken:
            return f"/dev/vd{letter}"
    raise DriverError("no free device name left for a volume")


async def _make(
    agent: AgentHost,
    ctxt: RequestContext,
    cinder: VolumeClient,
    instance_uuid: str,
    *,
    device: RequestedDevice,
    name: str,
    made: BuildVolumes,
) -> None:
    source = {"imageRef": device.uuid} if device.source_type == "image" else {}
    if device.source_type == "snapshot":
        source = {"snapshot_id": device.uuid}
    try:
        volume = await cinder.create_volume(device.volume_size, **source)
    except VolumeError as exc:
        raise VolumeCreateFailed(f"block storage refused the volume: {exc.message}") from None
    made.made.append(record := MadeVolume(volume.id))
    await _available(cinder, volume.id)
    attachment = await cinder.create_attachment(volume.id, instance_uuid)
    record.attachment_id = attachment.id
    msg = AddBlockDevice(
        instance_uuid=instance_uuid,
        volume_id=volume.id,
        attachment_id=attachment.id,
        device_name=name,
        boot_index=device.boot_index,
        delete_on_termination=device.delete_on_termination,
        tag=device.tag,
    )
    record.bdm_uuid = await agent.conductor.add_block_device(ctxt, msg)


async def _available(cinder: VolumeClient, volume_id: str) -> None:
    """Wait for block storage to finish the volume (as Nova polls it while it builds)."""
    deadline = time.monotonic() + CREATE_TIMEOUT
    while True:
        status = (await cinder.get_volume(volume_id)).status
        if status == "available":
            return
        if status.startswith("error") or time.monotonic() > deadline:
            raise VolumeCreateFailed(f"volume {volume_id} did not become available ({status})")
        await asyncio.sleep(_POLL)


async def _connect(
    agent: AgentHost, ctxt: RequestContext, cinder: VolumeClient, bdm: BlockDevice
) -> None:
    attachment_id, bdm_uuid = bdm.attachment_id, bdm.uuid
    if not attachment_id:
        raise DriverError(f"volume {bdm.volume_id} was not reserved for the server")
    found = await cinder.update_attachment(
        attachment_id, volumes.host_connector(agent, bdm.device_name)
    )
    if found.connection is None:
        raise DriverError(f"block storage gave no connection for attachment {attachment_id}")
    await cinder.complete_attachment(attachment_id)
    values = {
        "status": BDM_ATTACHED,
        "connection_info": {
            "driver_volume_type": found.connection.driver_volume_type,
            "data": dict(found.connection.data),
        },
    }
    if not await agent.conductor.change_block_device(ctxt, bdm_uuid, values, [BDM_ATTACHING]):
        raise DriverError(f"attachment {attachment_id} is no longer being attached")


async def undo(agent: AgentHost, ctxt: RequestContext, uuid: str, made: BuildVolumes) -> None:
    """After a failed build: delete the volumes it made; the user's wait for another try.

    Runs after the guest is destroyed. Nothing here may stop the rest of the cleanup.
    """
    made_ids = {m.volume_id for m in made.made}
    try:
        instance = await agent.conductor.get(ctxt, uuid, read_deleted=True)
        others = [b for b in instance.block_device_mappings if b.volume_id not in made_ids]
    except Exception:
        others = []
    for bdm in others:
        with contextlib.suppress(Exception):
            values = {"status": BDM_ATTACHING, "connection_info": None}
            await agent.conductor.change_block_device(ctxt, bdm.uuid, values, [BDM_ATTACHED])
    for volume in made.made:
        try:
            await _delete_made(agent, ctxt, volume)
        except Exception:
            LOG.exception("could not delete volume %s made for %s", volume.volume_id, uuid)
    made.made.clear()


async def _delete_made(agent: AgentHost, ctxt: RequestContext, made: MadeVolume) -> None:
    async with agent.block_storage().client(ctxt) as cinder:
        if made.attachment_id:
            with contextlib.suppress(VolumeError):
                await cinder.delete_attachment(made.attachment_id)
        await _wait_settled(cinder, made.volume_id)
        await cinder.delete_volume(made.volume_id)
    if made.bdm_uuid:
        await agent.conductor.remove_block_device(ctxt, made.bdm_uuid)


async def _wait_settled(cinder: VolumeClient, volume_id: str) -> None:
    """A volume still being made cannot be deleted: wait until it is done either way."""
    deadline = time.monotonic() + CREATE_TIMEOUT
    while time.monotonic() < deadline:
        status = (await cinder.get_volume(volume_id)).status
        if status not in ("creating", "downloading", "detaching"):
            return
        await asyncio.sleep(_POLL)
