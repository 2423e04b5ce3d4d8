"""What QEMU may open under a guest's disk: the overlay this driver made, its base, nothing else.

A root (or rescue) disk is a qcow2 overlay this driver created on a base image in
the host's cache. Left to itself QEMU follows whatever the base's header names (a
backing file, in any form), so the base is opened explicitly: its format given, read
only, ``backing: null`` for qcow2, and the overlay is pointed at that node. The base
is found from the overlay's header, which this driver wrote (the image record may
change while a disk keeps its base: unshelve, rebuild), and its header is checked
again before every start. qemu-img commands on an overlay (snapshot, resize) get the
same chain as a ``json:`` filename.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nimbostack.compute.agent.drivers.base import DriverError
from nimbostack.compute.agent.drivers.qemu import disks
from nimbostack.compute.agent.drivers.qemu.layout import GuestPaths
from nimbostack.core import diskimage

_BASE_FORMATS = ("qcow2", "raw")


@dataclass(frozen=True)
class Base:
    """The base image under one overlay, and the format to open it with."""

    path: Path
    format: str


def node_name(drive_id: str) -> str:
    return f"{drive_id}-base"


def blockdev(base: Base, node: str | None = None) -> dict[str, Any]:
    """Block options that open ``base`` alone, read-only, with its format stated."""
    options: dict[str, Any] = {
        "driver": base.format,
        "read-only": True,
        "file": {"driver": "file", "filename": str(base.path), "read-only": True},
    }
    if node is not None:
        options["node-name"] = node
    if base.format == "qcow2":
        options["backing"] = None  # whatever the base's header says
    return options


def qemu_img_filename(overlay: Path, base: Base | None) -> str:
    """A ``json:`` filename for qemu-img: the overlay on its base, and nothing below."""
    options: dict[str, Any] = {
        "driver": "qcow2",
        "file": {"driver": "file", "filename": str(overlay)},
        "backing": blockdev(base) if base is not None else None,
    }
    return "json:" + json.dumps(options)


async def base_of(qemu_img: str, overlay: Path) -> Base | None:
    """The base named by an overlay this driver made (None: it has none)."""
    info = await disks.image_info(qemu_img, overlay, "qcow2")
    name = str(info.get("full-backing-filename") or info.get("backing-filename") or "")
    if not name:
        return None
    fmt = str(info.get("backing-filename-format") or "")
    path = Path(name)
    if fmt not in _BASE_FORMATS or not path.is_absolute():
        raise DriverError(f"{overlay.name}: its base {name!r} ({fmt or 'no format'}) is refused")
    try:
        await asyncio.to_thread(diskimage.check_header, path, fmt)
    except (diskimage.FormatError, OSError) as exc:
        raise DriverError(f"{overlay.name}: its base image {path} is refused: {exc}") from None
    return Base(path, fmt)


async def bases(qemu_img: str, paths: GuestPaths, *, rescue: bool) -> dict[str, Base]:
    """The base of each overlay QEMU will open, by drive id ("root", "rescue")."""
    overlays = {"root": paths.root_disk}
    if rescue:
        overlays["rescue"] = paths.disk(disks.RESCUE_PREFIX + "disk")
    found: dict[str, Base] = {}
    for drive_id, overlay in overlays.items():
        if overlay.exists():
            base = await base_of(qemu_img, overlay)
            if base is not None:
                found[drive_id] = base
    return found


async def _overlay_filename(qemu_img: str, overlay: Path) -> str:
    return qemu_img_filename(overlay, await base_of(qemu_img, overlay))


async def flatten(qemu_img: str, overlay: Path, target: Path) -> None:
    """Copy overlay and base into one standalone qcow2 (-U: the guest may hold its lock)."""
    source = await _overlay_filename(qemu_img, overlay)
    await disks.run_tool(qemu_img, "convert", "-U", "-O", "qcow2", source, str(target))


async def grow(qemu_img: str, overlay: Path, size_gb: int) -> None:
    """Grow an overlay to size_gb (never shrink: the guest's filesystem would be cut)."""
    info = await disks.image_info(qemu_img, overlay, "qcow2")
    if size_gb * disks.GIB > int(info["virtual-size"]):
        source = await _overlay_filename(qemu_img, overlay)
        await disks.run_tool(qemu_img, "resize", "-q", source, f"{size_gb}G")
