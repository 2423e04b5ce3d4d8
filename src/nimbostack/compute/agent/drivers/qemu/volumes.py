"""Volumes in a QEMU guest: the same block node and virtio disk on the command line
and hot-plugged over QMP, and the unplug that waits for the guest to let go.

A volume is a file on this host (``driver_volume_type: file``) opened with the format
block storage states and ``backing: null``, so QEMU never follows a backing file a
guest may have written into a qcow2 header. The disk's serial is the volume id (cut
to virtio's 20 characters, as Nova does): the guest finds it under
``/dev/disk/by-id/virtio-<serial>``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from nimbostack.compute.agent.drivers.base import DriverError, VolumeAttachment
from nimbostack.compute.agent.drivers.qemu.layout import GuestPaths
from nimbostack.compute.agent.drivers.qemu.qmp import QmpClient, QmpError

_FORMATS = ("raw", "qcow2")
_SERIAL_LENGTH = 20


def node_name(volume_id: str) -> str:
    # QEMU's node names are at most 31 characters.
    return "vol-" + volume_id.replace("-", "")[:24]


def device_id(volume_id: str) -> str:
    return "dev-" + node_name(volume_id)


def blockdev(volume: VolumeAttachment) -> dict[str, Any]:
    """The block node of a volume: its file, in its stated format, with nothing below."""
    if volume.driver_volume_type != "file":
        raise DriverError(
            f"volume {volume.volume_id}: transport {volume.driver_volume_type!r} is not "
            f"supported by the qemu driver"
        )
    fmt = str(volume.connection.get("format") or "")
    path = Path(str(volume.connection.get("path") or ""))
    if fmt not in _FORMATS or not path.is_absolute():
        raise DriverError(f"volume {volume.volume_id}: refused connection {volume.connection}")
    read_only = volume.connection.get("access_mode") == "ro"
    options: dict[str, Any] = {
        "driver": fmt,
        "node-name": node_name(volume.volume_id),
        "read-only": read_only,
        "discard": "unmap",
        "file": {"driver": "file", "filename": str(path), "read-only": read_only},
    }
    if fmt == "qcow2":
        options["backing"] = None
    return options


def device(volume: VolumeAttachment) -> dict[str, Any]:
    return {
        "driver": "virtio-blk-pci",
        "drive": node_name(volume.volume_id),
        "id": device_id(volume.volume_id),
        "serial": volume.volume_id[:_SERIAL_LENGTH],
    }


def command_args(volumes: tuple[VolumeAttachment, ...]) -> list[str]:
    """``-blockdev`` and ``-device`` for each attached volume (a guest started later).

    A root volume comes first and is the firmware's first boot disk (boot index 1:
    QEMU keeps 0 for a directly booted kernel's option ROM).
    """
    args: list[str] = []
    for volume in sorted(volumes, key=lambda v: v.boot_index != 0):
        dev = device(volume)
        if volume.boot_index == 0:
            dev["bootindex"] = 1
        args += ["-blockdev", json.dumps(blockdev(volume))]
        args += ["-device", ",".join(f"{k}={v}" for k, v in dev.items() if k != "driver")]
        args[-1] = f"{dev['driver']},{args[-1]}"
    return args


async def hot_plug(paths: GuestPaths, volume: VolumeAttachment) -> None:
    """Add the volume's node and disk to the running guest; nothing stays if one fails."""
    node = blockdev(volume)
    try:
        async with QmpClient(paths.qmp_socket) as qmp:
            await qmp.execute("blockdev-add", node)
            try:
                await qmp.execute("device_add", device(volume))
            except QmpError:
                await qmp.execute("blockdev-del", {"node-name": node["node-name"]})
                raise
    except QmpError as exc:
        raise DriverError(f"cannot attach volume {volume.volume_id}: {exc}") from None


async def unplug(paths: GuestPaths, volume_id: str, timeout: float) -> None:
    """Ask the guest to release the disk, wait until it did, then close the node.

    A guest that never answers the unplug (no ACPI hot-plug, or not booted yet) keeps
    the disk: the detach fails rather than pull the disk from under its writes.
    """
    dev = device_id(volume_id)
    try:
        async with QmpClient(paths.qmp_socket) as qmp:
            if dev in await _devices(qmp):
                await qmp.execute("device_del", {"id": dev})
                await qmp.wait_event("DEVICE_DELETED", {"device": dev}, timeout)
            if node_name(volume_id) in await _nodes(qmp):
                await qmp.execute("blockdev-del", {"node-name": node_name(volume_id)})
    except QmpError as exc:
        raise DriverError(f"cannot detach volume {volume_id}: {exc}") from None


async def _devices(qmp: QmpClient) -> set[str]:
    found = await qmp.execute("qom-list", {"path": "/machine/peripheral"})
    return {str(item["name"]) for item in found or []}


async def _nodes(qmp: QmpClient) -> set[str]:
    found = await qmp.execute("query-named-block-nodes", {"flat": True})
    return {str(item.get("node-name")) for item in found or []}
