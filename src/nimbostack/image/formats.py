"""Format safety: is uploaded data really in its declared disk format, and harmless?

The format is first detected from magic bytes (never trusting qemu's probing), the
dangerous qcow2 features (a backing file, an external data file: the CVE-2022-47951
class, where an image makes the host read its own files) are refused from the header
before qemu-img ever opens the file, then ``qemu-img info`` with the detected format
gives the virtual size and a second look at the same features.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nimbostack.core.process import spawn

# Declared disk_format -> the format the bytes must have. ami/ari/aki are raw bytes.
_EXPECTED = {
    "raw": "raw",
    "ami": "raw",
    "ari": "raw",
    "aki": "raw",
    "iso": "iso",
    "qcow2": "qcow2",
    "vmdk": "vmdk",
    "vhd": "vpc",
    "vhdx": "vhdx",
    "vdi": "vdi",
}
_QCOW2_EXTERNAL_DATA_FILE = 1 << 2
_SAFE_VMDK_TYPES = ("monolithicSparse", "streamOptimized")


class FormatError(Exception):
    """The data is not what it claims to be, or uses a feature we refuse."""


@dataclass(frozen=True)
class Inspection:
    format: str
    virtual_size: int


def detect(path: Path) -> str:
    """The format the file's magic bytes say it has (``raw`` when none match)."""
    with path.open("rb") as handle:
        head = handle.read(0x8006)
        handle.seek(0, 2)
        size = handle.tell()
        footer = b""
        if size >= 512:
            handle.seek(size - 512)
            footer = handle.read(512)
    return _detect_bytes(head, footer)


def _detect_bytes(head: bytes, footer: bytes) -> str:
    if head.startswith(b"QFI\xfb"):
        return "qcow2"
    if head.startswith((b"KDMV", b"# Disk DescriptorFile")):
        return "vmdk"
    if head.startswith(b"conectix") or footer.startswith(b"conectix"):
        return "vpc"
    if head.startswith(b"vhdxfile"):
        return "vhdx"
    if len(head) >= 68 and struct.unpack_from("<I", head, 64)[0] == 0xBEDA107F:
        return "vdi"
    if head.startswith(b"LUKS\xba\xbe"):
        return "luks"
    if head[0x8001:0x8006] == b"CD001":
        return "iso"
    return "raw"


def check_qcow2_header(head: bytes) -> None:
    """Refuse qcow2 headers that name a backing file or an external data file."""
    if len(head) < 72:
        raise FormatError("Image data is not a valid qcow2 file: header too short.")
    version, backing_offset = struct.unpack_from(">IQ", head, 4)
    if backing_offset:
        raise FormatError("Image data is a qcow2 file with a backing file, which is refused.")
    if version >= 3 and len(head) >= 80:
        (incompatible,) = struct.unpack_from(">Q", head, 72)
        if incompatible & _QCOW2_EXTERNAL_DATA_FILE:
            raise FormatError(
                "Image data is a qcow2 file with an external data file, which is refused."
            )


def _check_info(info: dict[str, Any], path: Path) -> None:
    if info.get("backing-filename") or info.get("full-backing-filename"):
        raise FormatError("Image data has a backing file, which is refused.")
    specific = (info.get("format-specific") or {}).get("data") or {}
    if specific.get("data-file"):
        raise FormatError("Image data has an external data file, which is refused.")
    if info.get("format") == "vmdk":
        if specific.get("create-type") not in _SAFE_VMDK_TYPES:
            raise FormatError("Only monolithicSparse and streamOptimized VMDK images are accepted.")
        for extent in specific.get("extents") or []:
            if Path(str(extent.get("filename", ""))).name != path.name:
                raise FormatError("VMDK images with external extents are refused.")


async def qemu_info(path: Path, fmt: str, limit_seconds: float) -> dict[str, Any]:
    proc = await spawn(
        "qemu-img", "info", "--output", "json", "-U", "-f", fmt, str(path),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        out, err = await asyncio.wait_for(proc.communicate(), limit_seconds)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        await proc.wait()
        raise FormatError("Image data could not be inspected in time.") from None
    if proc.returncode != 0:
        reason = err.decode(errors="replace").strip().splitlines()[-1:] or ["unknown error"]
        raise FormatError(f"Image data is not a valid {fmt} file: {reason[0]}")
    info = json.loads(out)
    assert isinstance(info, dict)
    return info


async def inspect(path: Path, disk_format: str, limit_seconds: float) -> Inspection:
    """Check ``path`` against its declared format; raise FormatError when it differs."""
    expected = _EXPECTED.get(disk_format)
    if expected is None:
        raise FormatError(f"Disk format {disk_format} cannot be verified.")
    found = await asyncio.to_thread(detect, path)
    if found != expected and not (expected == "raw" and found == "iso"):
        raise FormatError(
            f"Image data does not match the declared disk_format {disk_format}: "
            f"it looks like {found}."
        )
    head = await asyncio.to_thread(_read_head, path)
    if found == "qcow2":
        check_qcow2_header(head)
    if found == "vmdk" and not head.startswith(b"KDMV"):
        # A descriptor file would make qemu-img open the files it names.
        raise FormatError("VMDK descriptor files are refused; upload a monolithic VMDK.")
    qemu_fmt = "raw" if found == "iso" else found
    info = await qemu_info(path, qemu_fmt, limit_seconds)
    _check_info(info, path)
    return Inspection(found, int(info.get("virtual-size") or 0))


def _read_head(path: Path) -> bytes:
    with path.open("rb") as handle:
        return handle.read(512)
