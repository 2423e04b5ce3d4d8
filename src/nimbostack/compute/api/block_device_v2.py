"""``block_device_mapping_v2`` of ``POST /servers``: Nova's checks, and the root disk it gives.

Each entry becomes a typed ``RequestedDevice``. An image on a local disk is the classic
image boot (it names the imageRef); anything with a volume destination makes the
server volume-backed when it has boot index 0. The checks and their 400s follow
Nova: a boot sequence must start at 0 and have no gaps, an image or blank volume
needs a size, a volume or snapshot cannot be a local disk, a named volume must be
the caller's and ``available``, and one volume cannot go to several servers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from nimbostack.clients.volume import Volume, VolumeError
from nimbostack.compute.api import server_refs
from nimbostack.compute.api.deps import ApiState, volume_access
from nimbostack.compute.block_device_request import DESTINATIONS, SOURCES, RequestedDevice
from nimbostack.core.api.request import ApiRequest
from nimbostack.core.errors import BadRequest, ServiceUnavailable

_BOOT_SEQUENCE = (
    "Block Device Mapping is Invalid: Boot sequence for the instance and image/block "
    "device mapping combination is not valid."
)


@dataclass
class BootDisks:
    """What the mappings decide: the devices, and the root disk's image record."""

    devices: list[RequestedDevice] = field(default_factory=list)
    image: dict[str, Any] | None = None  # None: boot the imageRef on a local disk

    @property
    def root_on_volume(self) -> bool:
        return any(d.is_root_volume for d in self.devices)

    @property
    def named_volumes(self) -> list[RequestedDevice]:
        return [d for d in self.devices if d.source_type == "volume"]


def _invalid(why: str) -> BadRequest:
    return BadRequest(f"Block Device Mapping is Invalid: {why}")


def _int(value: Any, name: str) -> int | None:
    if value is None or value == "":
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise BadRequest(f"Invalid input for field '{name}': {value!r} is not an integer") from None


def _device(raw: Any) -> RequestedDevice:
    if not isinstance(raw, dict):
        raise BadRequest("Invalid input for field 'block_device_mapping_v2'")
    source = raw.get("source_type") or "blank"
    dest = raw.get("destination_type") or ("volume" if source == "volume" else "local")
    if source not in SOURCES or dest not in DESTINATIONS:
        raise _invalid(f"source_type {source!r} with destination_type {dest!r}")
    if raw.get("disk_bus") not in (None, "virtio"):
        raise _invalid(f"disk_bus {raw['disk_bus']!r} is not supported (only virtio)")
    boot_index = _int(raw.get("boot_index"), "boot_index")
    device = RequestedDevice(
        source_type=source,
        destination_type=dest,
        uuid=str(raw["uuid"]) if raw.get("uuid") else None,
        boot_index=boot_index if boot_index is not None and boot_index >= 0 else None,
        volume_size=_int(raw.get("volume_size"), "volume_size"),
        delete_on_termination=_bool(raw.get("delete_on_termination", False)),
        device_name=raw.get("device_name") or None,
        tag=raw.get("tag") or None,
    )
    _check_combination(device)
    return device


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("true", "1", "yes", "on", "t", "y")


def _check_combination(device: RequestedDevice) -> None:
    if device.source_type != "blank" and not device.uuid:
        raise _invalid(f"a {device.source_type} source needs a uuid")
    if device.destination_type == "local" and device.source_type in ("volume", "snapshot"):
        raise _invalid(f"a {device.source_type} cannot be a local disk")
    if device.destination_type == "local" and device.source_type == "blank":
        raise _invalid("blank local disks (ephemeral, swap) are not supported")
    local_image = device.source_type == "image" and device.destination_type == "local"
    if local_image and device.boot_index != 0:
        raise _invalid("an image on a local disk must have boot_index 0")
    sized = device.makes_volume and device.source_type in ("image", "blank")
    if sized and (not device.volume_size or device.volume_size <= 0):
        raise _invalid(
            "Images with destination_type 'volume' need to have a non-zero size specified"
            if device.source_type == "image"
            else "a blank volume needs a non-zero volume_size"
        )


def parse(server: dict[str, Any]) -> list[RequestedDevice]:
    """The entries of ``block_device_mapping_v2``, each checked, with a valid boot sequence."""
    if server.get("block_device_mapping"):
        raise BadRequest("The legacy block_device_mapping is not supported; use v2.")
    devices = [_device(raw) for raw in server.get("block_device_mapping_v2") or []]
    indexes = sorted(d.boot_index for d in devices if d.boot_index is not None)
    if indexes != list(range(len(indexes))):
        raise BadRequest(_BOOT_SEQUENCE)
    if not server.get("imageRef") and 0 not in indexes:
        raise BadRequest(_BOOT_SEQUENCE)
    local_images = [d for d in devices if d.destination_type == "local"]
    for device in local_images:
        if server.get("imageRef") and server["imageRef"] != device.uuid:
            raise _invalid("the image of a local boot disk must be imageRef")
        server["imageRef"] = device.uuid
    return devices


async def boot_disks(
    req: ApiRequest, state: ApiState, server: dict[str, Any], flavor: dict[str, Any], count: int
) -> BootDisks:
    """Check the mappings against the services; the root volume's image record if any."""
    disks = BootDisks(parse(server))
    if disks.named_volumes and count > 1:
        raise BadRequest("Cannot attach one or more volumes to multiple instances")
    seen: set[str] = set()
    for device in disks.named_volumes:
        assert device.uuid is not None
        if device.uuid in seen:
            raise _invalid(f"volume {device.uuid} is mapped twice")
        seen.add(device.uuid)
        volume = await _volume(req, state, device.uuid)
        if device.boot_index == 0:
            disks.image = _volume_image(volume)
    root = next((d for d in disks.devices if d.is_root_volume), None)
    if root is not None and root.source_type == "image":
        assert root.uuid is not None
        disks.image = await _root_image(req, state, root, flavor)
    elif root is not None and disks.image is None:
        disks.image = {}
    if disks.image is not None:
        _check_memory(disks.image, flavor)
    return disks


async def _volume(req: ApiRequest, state: ApiState, volume_id: str) -> Volume:
    try:
        async with volume_access(state).client(req.context) as cinder:
            volume = await cinder.get_volume(volume_id)
    except VolumeError as exc:
        if exc.status == 404:
            raise _invalid(f"failed to get volume {volume_id}.") from None
        raise ServiceUnavailable(f"Block storage refused to show the volume: {exc}") from None
    owner = volume.raw.get("os-vol-tenant-attr:tenant_id")
    if owner and owner != req.context.project_id:
        raise _invalid(f"failed to get volume {volume_id}.")
    if volume.status != "available":
        raise BadRequest(
            f"Invalid volume: volume '{volume_id}' status must be 'available'. "
            f"Currently in '{volume.status}'"
        )
    return volume


def _volume_image(volume: Volume) -> dict[str, Any]:
    """The image record a volume made from an image carries (``volume_image_metadata``)."""
    meta = dict(volume.raw.get("volume_image_metadata") or {})
    base = {"id", "min_ram", "min_disk", "disk_format", "container_format", "size"}
    image = {k: meta[k] for k in base if k in meta}
    image["id"] = str(meta.get("image_id") or "")
    image["properties"] = {k: v for k, v in meta.items() if k not in base | {"image_id"}}
    return image


async def _root_image(
    req: ApiRequest, state: ApiState, root: RequestedDevice, flavor: dict[str, Any]
) -> dict[str, Any]:
    """The image a root volume is made from: active, and no bigger than the volume."""
    # Its size is checked against the volume, not the flavor's (absent) root disk.
    image = await server_refs.image(req, state, root.uuid, {**flavor, "root_gb": 0})
    size_gb = int(root.volume_size or 0)
    if int(image.get("min_disk") or 0) > size_gb:
        raise BadRequest(
            f"Volume is smaller than the minimum size specified in image metadata. "
            f"Volume size is {size_gb} GiB, minimum size is {image.get('min_disk')} GiB."
        )
    if int(image.get("size") or 0) > size_gb * 1024**3:
        raise BadRequest(f"Volume size {size_gb} GiB is too small for image {root.uuid}.")
    return image


def _check_memory(image: dict[str, Any], flavor: dict[str, Any]) -> None:
    # volume_image_metadata holds strings; one that is not a number sets no minimum.
    raw = str(image.get("min_ram") or 0)
    if raw.isdigit() and int(raw) > int(flavor["memory_mb"]):
        raise BadRequest("Flavor's memory is too small for requested image.")
