"""Volumes in a QEMU guest: the same block node and virtio disk on the command line
and hot-plugged over QMP, and the unplug that waits for the guest to let go.

A volume is a file on this host (``driver_volume_type: file``) opened with the format
block storage states and ``backing: null``, so QEMU never follows a backing file a
guest may have written into a qcow2 header; or an NBD export on another host
(``nbd``), which QEMU reaches over TLS with the attachment's pre-shared key: a
``tls-creds-psk`` object per volume, its key file in the guest's run directory
(readable by this user only), removed with the disk. The disk's serial is the volume
id (cut to virtio's 20 characters, as Nova does): the guest finds it under
``/dev/disk/by-id/virtio-<serial>``.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

from nimbostack.compute.agent.drivers.base import DriverError, VolumeAttachment
from nimbostack.compute.agent.drivers.qemu.layout import GuestPaths
from nimbostack.compute.agent.drivers.qemu.qmp import QmpClient, QmpError

_FORMATS = ("raw", "qcow2")
_SERIAL_LENGTH = 20
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
_KEY = re.compile(r"^[0-9a-f]{64}$")


def node_name(volume_id: str) -> str:
    # QEMU's node names are at most 31 characters.
    return "vol-" + volume_id.replace("-", "")[:24]


def device_id(volume_id: str) -> str:
    return "dev-" + node_name(volume_id)


def tls_id(volume_id: str) -> str:
    return "tls-" + node_name(volume_id)


def blockdev(volume: VolumeAttachment) -> dict[str, Any]:
    """The block node of a volume: its file in its stated format with nothing below, or
    its NBD export (the TLS object ``tls_id`` must exist first)."""
    if volume.driver_volume_type == "nbd":
        return _nbd_blockdev(volume)
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


def _nbd_blockdev(volume: VolumeAttachment) -> dict[str, Any]:
    info = volume.connection
    host, port = str(info.get("host") or ""), info.get("port")
    name, identity = str(info.get("export_name") or ""), str(info.get("tls_psk_identity") or "")
    try:
        ipaddress.ip_address(host)
        valid = (
            isinstance(port, int)
            and 0 < port < 65536
            and bool(_NAME.match(name))
            and bool(_NAME.match(identity))
            and bool(_KEY.match(str(info.get("tls_psk_key") or "")))
        )
    except ValueError:
        valid = False
    if not valid:
        shown = {k: v for k, v in info.items() if k != "tls_psk_key"}
        raise DriverError(f"volume {volume.volume_id}: refused NBD connection {shown}")
    return {
        "driver": "nbd",
        "node-name": node_name(volume.volume_id),
        "read-only": info.get("access_mode") == "ro",
        "discard": "unmap",
        "server": {"type": "inet", "host": host, "port": str(port)},
        "export": name,
        "tls-creds": tls_id(volume.volume_id),
    }


def _key_dir(paths: GuestPaths, volume_id: str) -> Path:
    return paths.run_dir / "nbd-keys" / node_name(volume_id)


def write_key(paths: GuestPaths, volume: VolumeAttachment) -> dict[str, Any]:
    """Put the NBD export's key where QEMU reads it; the TLS object's properties."""
    directory = _key_dir(paths, volume.volume_id)
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    identity = str(volume.connection["tls_psk_identity"])
    fd = os.open(directory / "keys.psk", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(f"{identity}:{volume.connection['tls_psk_key']}\n")
    return {
        "qom-type": "tls-creds-psk",
        "id": tls_id(volume.volume_id),
        "endpoint": "client",
        "dir": str(directory),
        "username": identity,
    }


def forget_key(paths: GuestPaths, volume_id: str) -> None:
    shutil.rmtree(_key_dir(paths, volume_id), ignore_errors=True)


def device(volume: VolumeAttachment) -> dict[str, Any]:
    return {
        "driver": "virtio-blk-pci",
        "drive": node_name(volume.volume_id),
        "id": device_id(volume.volume_id),
        "serial": volume.volume_id[:_SERIAL_LENGTH],
    }


def command_args(volumes: tuple[VolumeAttachment, ...], paths: GuestPaths) -> list[str]:
    """``-blockdev`` and ``-device`` for each attached volume (a guest started later),
    with the TLS object of each NBD volume (its key written in ``paths``).

    A root volume comes first and is the firmware's first boot disk (boot index 1:
    QEMU keeps 0 for a directly booted kernel's option ROM).
    """
    args: list[str] = []
    for volume in sorted(volumes, key=lambda v: v.boot_index != 0):
        dev = device(volume)
        node = blockdev(volume)
        if volume.driver_volume_type == "nbd":
            creds = write_key(paths, volume)
            kind = creds.pop("qom-type")
            args += ["-object", ",".join([kind] + [f"{k}={_opt(v)}" for k, v in creds.items()])]
        if volume.boot_index == 0:
            dev["bootindex"] = 1
        args += ["-blockdev", json.dumps(node)]
        args += ["-device", ",".join(f"{k}={v}" for k, v in dev.items() if k != "driver")]
        args[-1] = f"{dev['driver']},{args[-1]}"
    return args


def _opt(value: Any) -> str:
    """A value of QEMU's ``key=value,...`` syntax (commas doubled)."""
    return str(value).replace(",", ",,")


async def hot_plug(paths: GuestPaths, volume: VolumeAttachment) -> None:
    """Add the volume's node and disk to the running guest; nothing stays if one fails."""
    node = blockdev(volume)
    nbd = volume.driver_volume_type == "nbd"
    try:
        async with QmpClient(paths.qmp_socket) as qmp:
            if nbd:
                await qmp.execute("object-add", write_key(paths, volume))
            try:
                await qmp.execute("blockdev-add", node)
                try:
                    await qmp.execute("device_add", device(volume))
                except QmpError:
                    await qmp.execute("blockdev-del", {"node-name": node["node-name"]})
                    raise
            except QmpError:
                if nbd:
                    await _drop_tls(qmp, paths, volume.volume_id)
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
            await _drop_tls(qmp, paths, volume_id)
    except QmpError as exc:
        raise DriverError(f"cannot detach volume {volume_id}: {exc}") from None


async def _drop_tls(qmp: QmpClient, paths: GuestPaths, volume_id: str) -> None:
    """Remove the volume's TLS object and key file, if it has them."""
    found = await qmp.execute("qom-list", {"path": "/objects"})
    if tls_id(volume_id) in {str(item["name"]) for item in found or []}:
        await qmp.execute("object-del", {"id": tls_id(volume_id)})
    forget_key(paths, volume_id)


async def extend(paths: GuestPaths, volume_id: str, size: int) -> None:
    """Grow the volume's node to ``size`` bytes; the guest sees its disk grow."""
    try:
        async with QmpClient(paths.qmp_socket) as qmp:
            await qmp.execute("block_resize", {"node-name": node_name(volume_id), "size": size})
    except QmpError as exc:
        raise DriverError(f"cannot extend volume {volume_id}: {exc}") from None


async def _devices(qmp: QmpClient) -> set[str]:
    found = await qmp.execute("qom-list", {"path": "/machine/peripheral"})
    return {str(item["name"]) for item in found or []}


async def _nodes(qmp: QmpClient) -> set[str]:
    found = await qmp.execute("query-named-block-nodes", {"flat": True})
    return {str(item.get("node-name")) for item in found or []}
