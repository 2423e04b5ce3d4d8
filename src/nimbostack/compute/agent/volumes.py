"""Volumes on this host: connect and hand a volume to a guest, take it back, let go.

Nova's flow with block storage's attachments: the API reserved the volume (an
attachment without a connection) and recorded the block device mapping; here the
agent sends the host's connector (the attachment then carries ``connection_info``),
asks the driver to attach, completes the attachment and records the connection.
Any failure undoes every step taken (driver detach, attachment delete, mapping
removed), so the volume goes back to ``available`` and the server is as it was,
with a fault and a failed action event saying why. Detach runs the steps backwards.
"""

from __future__ import annotations

import contextlib
import logging
import platform
from typing import Any

from nimbostack.clients.volume import Connection, VolumeClient, VolumeError
from nimbostack.compute.agent.drivers.base import DriverError, GuestNotFound, VolumeAttachment
from nimbostack.compute.agent.host import AgentHost
from nimbostack.compute.device_messages import AttachVolume, DetachVolume
from nimbostack.compute.instance_record import (
    BDM_ATTACHED as ATTACHED,
)
from nimbostack.compute.instance_record import (
    BDM_ATTACHING as ATTACHING,
)
from nimbostack.compute.instance_record import (
    BDM_DETACHING as DETACHING,
)
from nimbostack.compute.instance_record import (
    BlockDevice,
    InstanceRecord,
)
from nimbostack.compute.messages import ExternalEvent, InstanceNotFound
from nimbostack.core.context import RequestContext

LOG = logging.getLogger(__name__)
VOLUME_EXTENDED = "volume-extended"
GiB = 1024**3


def host_connector(agent: AgentHost, device: str) -> dict[str, Any]:
    """What block storage needs to know of this host to connect a volume to it."""
    return {
        "host": agent.host,
        "platform": platform.machine(),
        "os_type": "linux",
        "multipath": False,
        "do_local_attach": False,
        "mountpoint": device,
    }


def _device(bdm: BlockDevice, connection: Connection) -> VolumeAttachment:
    return VolumeAttachment(
        volume_id=bdm.volume_id,
        device=bdm.device_name,
        driver_volume_type=connection.driver_volume_type,
        connection=dict(connection.data),
    )


def _mapping(instance: InstanceRecord, bdm_uuid: str) -> BlockDevice | None:
    return next((b for b in instance.block_device_mappings if b.uuid == bdm_uuid), None)


async def attach(agent: AgentHost, ctxt: RequestContext, msg: AttachVolume) -> None:
    uuid = msg.instance_uuid
    async with agent.locks.hold(uuid):
        try:
            instance = await agent.conductor.get(ctxt, uuid)
        except InstanceNotFound:
            instance = None
        bdm = _mapping(instance, msg.bdm_uuid) if instance is not None else None
        if instance is None or bdm is None or bdm.status != ATTACHING:
            LOG.info("attach of volume %s to %s: nothing to do", msg.volume_id, uuid)
            await _release(agent, ctxt, msg.attachment_id, None)
            return
        try:
            async with agent.conductor.event(ctxt, uuid, msg.request_id, "compute_attach_volume"):
                await _connect(agent, ctxt, uuid, bdm, msg.attachment_id)
        except Exception as exc:
            LOG.warning("attach of volume %s to %s failed: %s", msg.volume_id, uuid, exc)
            await agent.conductor.fault(ctxt, uuid, exc)
            await _release(agent, ctxt, msg.attachment_id, bdm.uuid)


async def _connect(
    agent: AgentHost, ctxt: RequestContext, uuid: str, bdm: BlockDevice, attachment_id: str
) -> None:
    async with agent.block_storage().client(ctxt) as cinder:
        found = await cinder.update_attachment(
            attachment_id, host_connector(agent, bdm.device_name)
        )
        if found.connection is None:
            raise DriverError(f"block storage gave no connection for volume {bdm.volume_id}")
        await agent.driver.attach_volume(uuid, _device(bdm, found.connection))
        try:
            await cinder.complete_attachment(attachment_id)
            values = {
                "status": ATTACHED,
                "connection_info": {
                    "driver_volume_type": found.connection.driver_volume_type,
                    "data": dict(found.connection.data),
                },
            }
            if not await agent.conductor.change_block_device(ctxt, bdm.uuid, values, [ATTACHING]):
                raise DriverError(f"volume {bdm.volume_id} is no longer being attached")
        except BaseException:
            with contextlib.suppress(DriverError):
                await agent.driver.detach_volume(uuid, bdm.volume_id)
            raise


async def _release(
    agent: AgentHost, ctxt: RequestContext, attachment_id: str | None, bdm_uuid: str | None
) -> None:
    """Delete the volume's attachment (the volume is free again) and forget the mapping."""
    if attachment_id:
        try:
            async with agent.block_storage().client(ctxt) as cinder:
                await _delete_attachment(cinder, attachment_id)
        except Exception:
            LOG.exception("could not delete attachment %s", attachment_id)
    if bdm_uuid:
        await agent.conductor.remove_block_device(ctxt, bdm_uuid)


async def _delete_attachment(cinder: VolumeClient, attachment_id: str) -> None:
    try:
        await cinder.delete_attachment(attachment_id)
    except VolumeError as exc:
        if exc.status != 404:  # already gone is what we want
            raise


async def detach(agent: AgentHost, ctxt: RequestContext, msg: DetachVolume) -> None:
    uuid = msg.instance_uuid
    async with agent.locks.hold(uuid):
        instance = await agent.conductor.get(ctxt, uuid)
        bdm = _mapping(instance, msg.bdm_uuid)
        if bdm is None or bdm.status != DETACHING:
            LOG.info("detach of volume %s from %s: nothing to do", msg.volume_id, uuid)
            return
        try:
            async with agent.conductor.event(ctxt, uuid, msg.request_id, "compute_detach_volume"):
                with contextlib.suppress(GuestNotFound):
                    await agent.driver.detach_volume(uuid, bdm.volume_id)
                if bdm.attachment_id:
                    async with agent.block_storage().client(ctxt) as cinder:
                        await _delete_attachment(cinder, bdm.attachment_id)
        except Exception as exc:
            LOG.warning("detach of volume %s from %s failed: %s", msg.volume_id, uuid, exc)
            await agent.conductor.fault(ctxt, uuid, exc)
            await agent.conductor.change_block_device(ctxt, bdm.uuid, {"status": ATTACHED})
            return
        await agent.conductor.remove_block_device(ctxt, bdm.uuid)


async def release_all(agent: AgentHost, ctxt: RequestContext, instance: InstanceRecord) -> None:
    """A deleted server's volumes: attachments deleted, volumes deleted if asked to be.

    The guest is already destroyed. A volume that cannot be released is logged and
    left for an operator (as Nova does): the server's delete goes on.
    """
    for bdm in instance.block_device_mappings:
        try:
            async with agent.block_storage().client(ctxt) as cinder:
                if bdm.attachment_id:
                    await _delete_attachment(cinder, bdm.attachment_id)
                if bdm.delete_on_termination:
                    await cinder.delete_volume(bdm.volume_id)
        except Exception:
            LOG.exception("could not release volume %s of %s", bdm.volume_id, instance.uuid)
        await agent.conductor.remove_block_device(ctxt, bdm.uuid)


async def extended(agent: AgentHost, ctxt: RequestContext, msg: ExternalEvent) -> None:
    """``volume-extended`` (tag: the volume): grow the guest's disk to the volume's size.

    While the volume is still ``extending`` (only this host could grow its data: a
    qcow2 file QEMU holds), the disk grows to the size the extend asks for and block
    storage is told how it went (os-extend_volume_completion); otherwise the data has
    already grown and the guest's disk follows.
    """
    uuid, volume_id = msg.instance_uuid, str(msg.tag or "")
    async with agent.locks.hold(uuid):
        try:
            instance = await agent.conductor.get(ctxt, uuid)
        except InstanceNotFound:
            return
        bdm = next((b for b in instance.block_device_mappings if b.volume_id == volume_id), None)
        if bdm is None or bdm.status != ATTACHED:
            LOG.info("%s of %s for %s: not attached here", msg.event, volume_id, uuid)
            return
        async with agent.block_storage().client(ctxt) as cinder:
            volume = await cinder.get_volume(volume_id)
            extending = volume.status == "extending"
            size_gb = int(volume.raw.get("extend_new_size") or volume.size)
            try:
                await agent.driver.extend_volume(uuid, volume_id, size_gb * GiB)
            except DriverError as exc:
                LOG.warning("extending volume %s of %s failed: %s", volume_id, uuid, exc)
                if extending:
                    await cinder.extend_volume_completion(volume_id, error=True)
                return
            if extending:
                await cinder.extend_volume_completion(volume_id, error=False)
