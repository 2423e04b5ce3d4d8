"""``/servers/{id}/os-volume_attachments``: list, show, attach, update, detach volumes.

Attaching follows Nova: the API records the block device mapping (one per server and
volume, so a second attach of the same volume loses) and reserves the volume by
creating its attachment in block storage (one winner among servers racing for a
volume), then casts to the server's host, which connects and hands the disk to the
guest. Detaching marks the mapping ``detaching`` (one winner) and casts likewise.
Block storage is called with the caller's token, so another project's volume is
not found, plus compute's service token.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.exc import IntegrityError
from starlette.responses import Response

from nimbostack.clients.volume import Volume, VolumeError
from nimbostack.compute import states
from nimbostack.compute.api import action_guard
from nimbostack.compute.api.action_guard import Transition
from nimbostack.compute.api.deps import ApiState, state_of, volume_access
from nimbostack.compute.api.server_lookup import load_server, target
from nimbostack.compute.api.volume_attachments_schema import (
    attach_schema,
    update_schema,
    view,
)
from nimbostack.compute.db.models import BlockDeviceMapping, Instance
from nimbostack.compute.device_messages import AttachVolume, DetachVolume
from nimbostack.compute.objects import actions, block_devices
from nimbostack.core.api.microversion import Version
from nimbostack.core.api.request import ApiRequest
from nimbostack.core.api.responses import empty, json_response
from nimbostack.core.db.locks import get_for_update
from nimbostack.core.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    NotFound,
    ServiceUnavailable,
)

LOG = logging.getLogger(__name__)
_STATES = (states.ACTIVE, states.PAUSED, states.STOPPED)
ATTACH = Transition("attach_volume", _STATES, task_state=None)
DETACH = Transition("detach_volume", _STATES, task_state=None)
SWAP = Transition("swap_volume", _STATES, task_state=None)
_DEVICE_LETTERS = "bcdefghijklmnopqrstuvwxyz"


def _version(req: ApiRequest) -> Version:
    return req.version or Version(2, 1)


def _not_attached(volume_id: str, server_id: str) -> NotFound:
    return NotFound(f"Volume {volume_id} is not attached to the instance {server_id}")


async def _mapping(state: ApiState, instance: Instance, volume_id: str) -> BlockDeviceMapping:
    async with state.db.session() as s:
        found = await block_devices.find(s, instance.uuid, volume_id)
    if found is None:
        raise _not_attached(volume_id, instance.uuid)
    return found


async def list_attachments(req: ApiRequest) -> Response:
    state = state_of(req)
    instance = await load_server(req, state)
    req.enforce("os_compute_api:os-volumes-attachments:index", target(instance))
    offset, limit = _paging(req)
    async with state.db.session() as s:
        rows = await block_devices.of_instance(s, instance.uuid)
    shown = [view(b, _version(req)) for b in rows][offset : offset + limit]
    return json_response({"volumeAttachments": shown})


def _paging(req: ApiRequest) -> tuple[int, int]:
    values = []
    for name, default in (("offset", 0), ("limit", 1000)):
        raw = req.query.get(name, str(default))
        if not raw.isdigit() or len(raw) > 9:
            raise BadRequest(f"{name} param must be a non-negative integer")
        values.append(int(raw))
    return values[0], values[1]


async def show_attachment(req: ApiRequest) -> Response:
    state = state_of(req)
    instance = await load_server(req, state)
    req.enforce("os_compute_api:os-volumes-attachments:show", target(instance))
    bdm = await _mapping(state, instance, req.param("volume_id"))
    return json_response({"volumeAttachment": view(bdm, _version(req))})


async def attach_volume(req: ApiRequest) -> Response:
    state = state_of(req)
    instance = await load_server(req, state)
    req.enforce("os_compute_api:os-volumes-attachments:create", target(instance))
    wanted = (await req.json(attach_schema(_version(req))))["volumeAttachment"]
    action_guard.check(req, instance, ATTACH)
    if not instance.host:
        raise Conflict(f"Instance {instance.uuid} has no host to attach a volume on")
    volume_id = str(wanted["volumeId"])
    await _check_volume(req, state, instance, volume_id)
    bdm = await _record(state, instance, volume_id, wanted)
    try:
        attachment_id = await _reserve(req, state, instance, volume_id)
    except BaseException:
        await _forget(state, bdm.uuid)
        raise
    async with state.db.session() as s:
        await block_devices.change(s, bdm.uuid, {"attachment_id": attachment_id})
        await actions.start_action(s, req.context, instance.uuid, "attach_volume")
    bdm.attachment_id = attachment_id
    msg = AttachVolume(instance.uuid, req.context.request_id, bdm.uuid, volume_id, attachment_id)
    try:
        await state.rpc.cast_agent(req.context, instance.host, msg)
    except Exception:
        LOG.exception("compute: cannot reach host %s to attach a volume", instance.host)
        await _unreserve(req, state, attachment_id)
        await _forget(state, bdm.uuid)
        raise ServiceUnavailable("The server's host is not reachable; try again.") from None
    return json_response({"volumeAttachment": view(bdm, _version(req))})


async def _check_volume(
    req: ApiRequest, state: ApiState, instance: Instance, volume_id: str
) -> Volume:
    try:
        async with volume_access(state).client(req.context) as cinder:
            volume = await cinder.get_volume(volume_id)
    except VolumeError as exc:
        if exc.status == 404:
            raise NotFound(f"Volume {volume_id} could not be found.") from None
        raise ServiceUnavailable(f"Block storage refused to show the volume: {exc}") from None
    owner = volume.raw.get("os-vol-tenant-attr:tenant_id")
    if owner and owner != instance.project_id:
        raise BadRequest(
            f"Invalid volume: volume {volume_id} belongs to another project than the server"
        )
    return volume


async def _record(
    state: ApiState, instance: Instance, volume_id: str, wanted: dict[str, Any]
) -> BlockDeviceMapping:
    """Write the mapping with the next free device name; one per server and volume."""
    try:
        async with state.db.session() as s:
            # Attaches to one server take turns here, so two never get one device name.
            await get_for_update(s, Instance, instance.uuid)
            taken = {b.device_name for b in await block_devices.of_instance(s, instance.uuid)}
            bdm = block_devices.new(
                instance.uuid,
                instance.project_id,
                volume_id,
                _free_device(instance, taken),
                tag=wanted.get("tag"),
                delete_on_termination=bool(wanted.get("delete_on_termination", False)),
            )
            s.add(bdm)
            await s.flush()
    except IntegrityError:
        raise BadRequest(f"Invalid volume: volume {volume_id} already attached") from None
    return bdm


def _free_device(instance: Instance, taken: set[str]) -> str:
    """The next virtio disk after the root, ephemeral and swap disks (the guest decides
    its own names; like Nova's libvirt driver, a requested name is only a hint)."""
    flavor = instance.flavor or {}
    local = 1 + (1 if flavor.get("ephemeral_gb") else 0) + (1 if flavor.get("swap") else 0)
    for letter in _DEVICE_LETTERS[local - 1 :]:
        name = f"/dev/vd{letter}"
        if name not in taken:
            return name
    raise BadRequest(f"Instance {instance.uuid} has no free device name left")


async def _reserve(req: ApiRequest, state: ApiState, instance: Instance, volume_id: str) -> str:
    try:
        async with volume_access(state).client(req.context) as cinder:
            found = await cinder.create_attachment(volume_id, instance.uuid)
    except VolumeError as exc:
        if exc.status == 404:
            raise NotFound(f"Volume {volume_id} could not be found.") from None
        if exc.status in (400, 409):
            raise BadRequest(exc.message) from None
        raise ServiceUnavailable(f"Block storage could not reserve the volume: {exc}") from None
    return found.id


async def _unreserve(req: ApiRequest, state: ApiState, attachment_id: str) -> None:
    try:
        async with volume_access(state).client(req.context) as cinder:
            await cinder.delete_attachment(attachment_id)
    except Exception:
        LOG.exception("compute: could not delete attachment %s", attachment_id)


async def _forget(state: ApiState, bdm_uuid: str) -> None:
    async with state.db.session() as s:
        await block_devices.remove(s, bdm_uuid)


async def update_attachment(req: ApiRequest) -> Response:
    """Same volume: change delete_on_termination (2.85). Another volume: a swap, refused."""
    state = state_of(req)
    instance = await load_server(req, state)
    volume_id = req.param("volume_id")
    wanted = (await req.json(update_schema(_version(req))))["volumeAttachment"]
    if wanted["volumeId"] != volume_id:
        req.enforce("os_compute_api:os-volumes-attachments:swap", target(instance))
        action_guard.check(req, instance, SWAP)
        await _mapping(state, instance, volume_id)
        raise BadRequest("Swapping the volume of an attachment is not supported.")
    req.enforce("os_compute_api:os-volumes-attachments:update", target(instance))
    if not _version(req).matches("2.85"):
        raise BadRequest("Updating an attachment needs microversion 2.85 or later.")
    bdm = await _mapping(state, instance, volume_id)
    for name, current in (("device", bdm.device_name), ("tag", bdm.tag)):
        if name in wanted and wanted[name] != current:
            raise BadRequest(f"Invalid input: the attachment's {name} cannot be changed.")
    if "delete_on_termination" in wanted:
        async with state.db.session() as s:
            row = await s.get(BlockDeviceMapping, bdm.id)
            if row is None:
                raise _not_attached(volume_id, instance.uuid)
            row.delete_on_termination = bool(wanted["delete_on_termination"])
    return empty(202)


async def detach_volume(req: ApiRequest) -> Response:
    state = state_of(req)
    instance = await load_server(req, state)
    req.enforce("os_compute_api:os-volumes-attachments:delete", target(instance))
    volume_id = req.param("volume_id")
    bdm = await _mapping(state, instance, volume_id)
    if bdm.boot_index == 0:
        raise Forbidden("Cannot detach a root device volume")
    action_guard.check(req, instance, DETACH)
    async with state.db.session() as s:
        won = await block_devices.change(
            s, bdm.uuid, {"status": block_devices.DETACHING}, [block_devices.ATTACHED]
        )
        if won:
            await actions.start_action(s, req.context, instance.uuid, "detach_volume")
    if not won:
        raise BadRequest(
            f"Invalid volume: volume {volume_id} is not attached (it is being attached or detached)"
        )
    assert instance.host is not None
    msg = DetachVolume(instance.uuid, req.context.request_id, bdm.uuid, volume_id)
    await state.rpc.cast_agent(req.context, instance.host, msg)
    return empty(202)
