"""The volumes a new server names in its mappings: reserved in block storage, recorded.

As Nova's API does, a volume the user names is reserved (a Cinder attachment for the
new server, without a connection yet) before the build is handed on: of two servers
racing for one volume, block storage lets one attachment through and the other
request gets a 400. The agent later connects the attachment on its host. Volumes the
build makes (from an image, a snapshot, or blank) are left to the agent.
"""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession

from nimbostack.clients.volume import VolumeError
from nimbostack.compute.api.deps import ApiState, volume_access
from nimbostack.compute.block_device_request import RequestedDevice
from nimbostack.compute.db.models import Instance
from nimbostack.compute.objects import block_devices
from nimbostack.core.api.request import ApiRequest
from nimbostack.core.errors import BadRequest, Conflict, ServiceUnavailable

LOG = logging.getLogger(__name__)
Reserved = list[tuple[RequestedDevice, str]]  # each named volume and its attachment id


def device_names(devices: list[RequestedDevice]) -> dict[int, str]:
    """Guest device of each volume-destined entry (by position): the root is vda."""
    names: dict[int, str] = {}
    letters = iter("bcdefghijklmnopqrstuvwxyz")
    for position, device in enumerate(devices):
        if device.destination_type != "volume":
            continue
        names[position] = "/dev/vda" if device.boot_index == 0 else f"/dev/vd{next(letters)}"
    return names


async def reserve(
    req: ApiRequest, state: ApiState, instance_uuid: str, devices: list[RequestedDevice]
) -> Reserved:
    """An attachment for each named volume; all or none (a refusal undoes the others)."""
    reserved: Reserved = []
    try:
        async with volume_access(state).client(req.context) as cinder:
            for device in devices:
                assert device.uuid is not None
                found = await cinder.create_attachment(device.uuid, instance_uuid)
                reserved.append((device, found.id))
    except VolumeError as exc:
        await unreserve(req, state, reserved)
        if exc.status in (400, 404, 409):
            raise BadRequest(f"Invalid volume: {exc.message}") from None
        raise ServiceUnavailable(f"Block storage could not reserve the volume: {exc}") from None
    except BaseException:
        await unreserve(req, state, reserved)
        raise
    return reserved


async def unreserve(req: ApiRequest, state: ApiState, reserved: Reserved) -> None:
    for _device, attachment_id in reserved:
        try:
            async with volume_access(state).client(req.context) as cinder:
                await cinder.delete_attachment(attachment_id)
        except Exception:
            LOG.exception("compute: could not delete attachment %s", attachment_id)


def record(
    s: AsyncSession,
    instance_uuid: str,
    project_id: str,
    devices: list[RequestedDevice],
    reserved: Reserved,
) -> None:
    """The mapping rows of the reserved volumes, in the transaction writing the server."""
    names = device_names(devices)
    for device, attachment_id in reserved:
        assert device.uuid is not None
        row = block_devices.new(
            instance_uuid,
            project_id,
            device.uuid,
            names[devices.index(device)],
            tag=device.tag,
            delete_on_termination=device.delete_on_termination,
            boot_index=device.boot_index,
        )
        row.attachment_id = attachment_id
        s.add(row)


async def release(req: ApiRequest, state: ApiState, instance_uuid: str) -> None:
    """A server deleted before any host took it: free its volumes (delete those marked
    delete_on_termination) and forget the mappings. A failure is logged, not raised:
    the server is gone either way, as in Nova."""
    async with state.db.session() as s:
        rows = await block_devices.of_instance(s, instance_uuid)
    for row in rows:
        try:
            async with volume_access(state).client(req.context) as cinder:
                if row.attachment_id:
                    await cinder.delete_attachment(row.attachment_id)
                if row.delete_on_termination:
                    await cinder.delete_volume(row.volume_id)
        except Exception:
            LOG.exception("compute: could not release volume %s", row.volume_id)
        async with state.db.session() as s:
            await block_devices.remove(s, row.uuid)


def refuse_volume_backed(instance: Instance, action: str) -> None:
    """409 for the actions whose volume-backed form is not built yet (those that would
    copy, replace or move the root disk); a volume-backed server has no imageRef."""
    if not instance.image_ref:
        raise Conflict(
            f"Cannot '{action}' instance {instance.uuid}: it boots from a volume, and "
            f"'{action}' of a volume-backed server is not supported."
        )
