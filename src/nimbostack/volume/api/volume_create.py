"""``POST /volumes``: validate, resolve the source, check quota, record, hand to the scheduler.

Everything a request can get wrong is refused here with a 4xx before any record
exists; the quota check and the new row share one write transaction (objects/quotas).
The build itself happens in the background: the answer is 202 with the volume in
``creating``.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from nimbostack.core.api.request import ApiRequest
from nimbostack.core.api.responses import json_response
from nimbostack.core.errors import BadRequest, NotFound, ServiceUnavailable
from nimbostack.volume import states
from nimbostack.volume.api.schemas import volume_create_schema
from nimbostack.volume.api.scope import as_bool, project_of
from nimbostack.volume.api.views import volumes as views
from nimbostack.volume.db.models import Snapshot, Volume, VolumeType
from nimbostack.volume.messages import CreateVolume, TypeSpec, VolumeSpec
from nimbostack.volume.objects import backups, keyvalues, quotas, snapshots, types, volumes
from nimbostack.volume.objects.volumes import Extras
from nimbostack.volume.rpcapi import backend_of
from nimbostack.volume.state import VolumeState, state_of
from nimbostack.volume.zones import valid_zones

GiB = 1024**3
MULTIATTACH_REMOVED = (
    "multiattach parameter has been removed. The default behavior is to use multiattach "
    "enabled volume types. Contact your administrator to create a multiattach enabled "
    "volume type and use it to create multiattach volumes."
)


@dataclass
class Source:
    """What the new volume is made from, and what that source dictates."""

    kind: str = "empty"
    id: str | None = None
    size: int = 0
    type_id: str | None = None
    zone: str | None = None
    backend: str | None = None
    image_min_disk: int = 0


async def create_volume(req: ApiRequest) -> Response:
    state = state_of(req)
    project = project_of(req)
    req.enforce("volume:create", {"project_id": project})
    body = await req.json(volume_create_schema(req))
    wanted = body["volume"]
    if as_bool(wanted.get("multiattach", False), "multiattach"):
        raise BadRequest(MULTIATTACH_REMOVED)
    async with state.db.reader() as s:
        source = await _source(s, req, wanted)
        vtype = await _volume_type(s, req, state, wanted, source)
    if source.kind == "image":
        req.enforce("volume:create_from_image", {"project_id": project})
        await _image_source(req, state, source)
    size = _size(wanted, source)
    zone = await _zone(state, wanted, source)
    volume, metadata = await start_create(
        req, state, wanted, source=source, vtype=vtype, size=size, zone=zone
    )
    extras = Extras(type_names={vtype.id: vtype.name}, metadata={volume.id: metadata})
    return json_response({"volume": views.detail(req, volume, extras)}, 202)


async def start_create(
    req: ApiRequest,
    state: VolumeState,
    wanted: dict[str, Any],
    *,
    source: Source,
    vtype: VolumeType,
    size: int,
    zone: str,
) -> tuple[Volume, dict[str, str]]:
    """Record the volume (quota checked) and hand it to the scheduler."""
    volume, metadata, specs = await _record(
        req, state, wanted, source=source, vtype=vtype, size=size, zone=zone
    )
    spec = VolumeSpec(
        volume_id=volume.id,
        size=size,
        project_id=project_of(req),
        availability_zone=zone,
        volume_type=TypeSpec(vtype.id, vtype.name, specs),
        source=source.kind,
        source_id=source.id,
        backend=source.backend,
        image_min_disk=source.image_min_disk,
    )
    await state.rpc.cast_scheduler(req.context, CreateVolume(spec))
    return volume, metadata


async def _source(s: AsyncSession, req: ApiRequest, wanted: dict[str, Any]) -> Source:
    given = [k for k in ("snapshot_id", "source_volid", "backup_id") if wanted.get(k)]
    image = wanted.get("imageRef") or wanted.get("image_id")
    if image:
        given.append("imageRef")
    if len(given) > 1:
        raise BadRequest(f"Only one source may be given, not {' and '.join(given)}.")
    if wanted.get("snapshot_id"):
        return await _from_snapshot(s, req, str(wanted["snapshot_id"]))
    if wanted.get("source_volid"):
        return await _from_volume(s, req, str(wanted["source_volid"]))
    if wanted.get("backup_id"):
        backup = await backups.get(s, req.context, wanted["backup_id"])
        if backup.status != states.BACKUP_AVAILABLE:
            raise BadRequest(
                f"Invalid backup: Backup status must be available, but it is {backup.status}."
            )
        return Source("backup", backup.id, backup.size)
    if image:
        # Nova passes an image's URL; its last part is the id.
        return Source("image", str(image).rstrip("/").rsplit("/", 1)[-1])
    return Source()


async def _from_snapshot(s: AsyncSession, req: ApiRequest, snapshot_id: str) -> Source:
    """A snapshot's copy is made on its volume's backend, in its zone."""
    snap = await snapshots.get(s, req.context, snapshot_id)
    if snap.status != states.SNAP_AVAILABLE:
        raise BadRequest(
            f"Invalid snapshot: Originating snapshot status must be one of 'available' "
            f"values, but it is {snap.status}."
        )
    parent = await volumes.get_any(s, snap.volume_id)
    assert parent is not None  # a volume cannot be deleted while it has snapshots
    zone, backend = parent.availability_zone, backend_of(parent.host or "")
    return Source("snapshot", snap.id, snap.volume_size, snap.volume_type_id, zone, backend)


async def _from_volume(s: AsyncSession, req: ApiRequest, volume_id: str) -> Source:
    """A clone is made on its source's backend, in its zone."""
    src = await volumes.get(s, req.context, volume_id)
    if src.status not in (states.AVAILABLE, states.IN_USE):
        raise BadRequest(f"Invalid volume: Unable to clone volumes that are in {src.status} state.")
    zone, backend = src.availability_zone, backend_of(src.host or "")
    return Source("volume", src.id, src.size, src.volume_type_id, zone, backend)


async def _image_source(req: ApiRequest, state: VolumeState, source: Source) -> None:
    """Check the image exists and is usable; remember its minimum sizes."""
    assert source.id is not None
    client = await state.user_images(req.context)
    try:
        image = await client.get(source.id)
    except httpx.HTTPError as exc:
        raise ServiceUnavailable(f"The image service cannot be reached: {exc}") from None
    if image is None:
        raise NotFound(f"Image {source.id} could not be found.")
    if image.get("status") != "active":
        raise BadRequest(f"Image {source.id} is not active.")
    source.image_min_disk = int(image.get("min_disk") or 0)
    data_gb = -(-int(image.get("virtual_size") or image.get("size") or 0) // GiB)
    source.size = max(source.image_min_disk, data_gb, 1)


async def _volume_type(
    s: AsyncSession, req: ApiRequest, state: VolumeState, wanted: dict[str, Any], source: Source
) -> VolumeType:
    if wanted.get("volume_type"):
        return await types.get(s, req.context, str(wanted["volume_type"]))
    if source.type_id:
        return await types.get_by_id(s, source.type_id)
    return await types.default(s, str(state.options.default_volume_type))


def _size(wanted: dict[str, Any], source: Source) -> int:
    raw = wanted.get("size")
    if raw is None:
        if source.kind in ("empty", "image"):
            raise BadRequest(
                "Invalid input received: size is required to create a volume "
                "(or give a snapshot, source volume or backup)."
            )
        return source.size
    size = int(raw)
    if size < 1:
        raise BadRequest(
            f"Invalid input received: Volume size '{size}' must be an integer and greater than 0."
        )
    if source.kind == "image" and size < source.image_min_disk:
        raise BadRequest(
            f"Invalid input received: Volume size {size}GB cannot be smaller "
            f"than the image minDisk size {source.image_min_disk}GB."
        )
    if source.kind == "image" and size < source.size:
        raise BadRequest(
            f"Invalid input received: Size of specified image "
            f"{source.size}GB is larger than volume size {size}GB."
        )
    if source.kind in ("snapshot", "volume", "backup") and size < source.size:
        raise BadRequest(
            f"Invalid input received: Volume size '{size}'GB cannot be smaller "
            f"than the {source.kind} size {source.size}GB. They must be >= "
            f"original {source.kind} size."
        )
    return size


async def _zone(state: VolumeState, wanted: dict[str, Any], source: Source) -> str:
    asked = wanted.get("availability_zone")
    if source.zone and asked and asked != source.zone:
        raise BadRequest(
            "Invalid input received: Volume must be in the same availability zone as the source."
        )
    zone = str(
        asked
        or source.zone
        or state.options.default_availability_zone
        or state.options.storage_availability_zone
    )
    if asked and zone not in await valid_zones(state):
        raise BadRequest(f"Invalid input received: Availability zone '{zone}' is invalid.")
    return zone


async def _record(
    req: ApiRequest,
    state: VolumeState,
    wanted: dict[str, Any],
    *,
    source: Source,
    vtype: VolumeType,
    size: int,
    zone: str,
) -> tuple[Volume, dict[str, str], dict[str, str]]:
    ctx = req.context
    metadata = {str(k): str(v) for k, v in (wanted.get("metadata") or {}).items()}
    now = time.time()
    async with state.db.session() as s:
        specs = await keyvalues.read(s, keyvalues.EXTRA_SPECS, vtype.id)
        if _multiattach(specs):
            req.enforce("volume:multiattach", {"project_id": project_of(req)})
        await quotas.check(
            s, state.options, project_of(req), {"volumes": 1, "gigabytes": size}, vtype.name
        )
        volume = Volume(
            id=str(uuid.uuid4()),
            project_id=project_of(req),
            user_id=ctx.user_id or "",
            name=_text(wanted, "name", "display_name"),
            description=_text(wanted, "description", "display_description"),
            size=size,
            status=states.CREATING,
            attach_status=states.DETACHED,
            availability_zone=zone,
            volume_type_id=vtype.id,
            snapshot_id=source.id if source.kind == "snapshot" else None,
            source_volid=source.id if source.kind == "volume" else None,
            multiattach=_multiattach(specs),
            bootable=False,
            created_at=now,
            updated_at=now,
        )
        s.add(volume)
        await s.flush()
        await _hold_source(s, source, volume.id)
        await keyvalues.replace(s, keyvalues.VOLUME_METADATA, volume.id, metadata)
    return volume, metadata, specs


def _multiattach(specs: dict[str, str]) -> bool:
    """Whether a type's volumes can be attached to several servers at once."""
    return specs.get("multiattach", "").lower() == "<is> true"


async def _hold_source(s: AsyncSession, source: Source, volume_id: str) -> None:
    """The source checked earlier may have been deleted meanwhile: check in the write."""
    if source.kind == "snapshot" and source.id:
        snap = await s.get(Snapshot, source.id)
        if snap is None or snap.status != states.SNAP_AVAILABLE:
            raise BadRequest(f"Invalid snapshot: snapshot {source.id} is no longer available.")
    if source.kind == "volume" and source.id:
        vol = await volumes.get_any(s, source.id)
        if vol is None or vol.status not in (states.AVAILABLE, states.IN_USE):
            raise BadRequest(f"Invalid volume: volume {source.id} can no longer be cloned.")
    if source.kind == "backup" and source.id:
        # Held in restoring while the new volume is built from it (no delete meanwhile).
        held = await backups.transition(
            s,
            source.id,
            [states.BACKUP_AVAILABLE],
            {"status": states.BACKUP_RESTORING, "restore_volume_id": volume_id},
        )
        if not held:
            raise BadRequest(f"Invalid backup: backup {source.id} is no longer available.")


def _text(wanted: dict[str, Any], *names: str) -> str | None:
    for name in names:
        if wanted.get(name) is not None:
            return str(wanted[name]).strip()
    return None
