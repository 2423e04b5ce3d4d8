"""Reading and writing volume data in tests with QEMU's own tools (qemu-io, qemu-img).

Each helper is a coroutine that runs its tool (and any hashing) in a thread: the
services under test share the test's event loop, and the loop watch fails a test
whose own step holds that loop.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import subprocess
from pathlib import Path

MiB = 1024 * 1024


def volume_path(data_dir: Path, volume_id: str, backend: str = "file") -> Path:
    return data_dir / "volumes" / backend / f"volume-{volume_id}"


def _write(path: Path, fmt: str, offset: int, length: int, pattern: int) -> None:
    """Fill ``length`` bytes at ``offset`` with the byte ``pattern``."""
    subprocess.run(
        ["qemu-io", "-f", fmt, "-c", f"write -P {pattern} {offset} {length}", str(path)],
        check=True,
        capture_output=True,
    )


def _digest(path: Path, fmt: str, scratch: Path) -> str:
    """SHA-256 of the disk's whole raw content (as a guest would read it)."""
    raw = scratch / f"{path.name}.digest.raw"
    subprocess.run(
        ["qemu-img", "convert", "-U", "-f", fmt, "-O", "raw", str(path), str(raw)],
        check=True,
        capture_output=True,
    )
    sha = hashlib.sha256()
    with raw.open("rb") as handle:
        while chunk := handle.read(MiB):
            sha.update(chunk)
    raw.unlink()
    return sha.hexdigest()


def _same_data(a: Path, a_fmt: str, b: Path, b_fmt: str) -> bool:
    """``qemu-img compare``: same content (a larger image must read zeros beyond)."""
    found = subprocess.run(
        ["qemu-img", "compare", "-U", "-f", a_fmt, "-F", b_fmt, str(a), str(b)],
        capture_output=True,
        check=False,
    )
    return found.returncode == 0


def _virtual_size(path: Path, fmt: str) -> int:
    out = subprocess.run(
        ["qemu-img", "info", "-U", "--output=json", "-f", fmt, str(path)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return int(json.loads(out)["virtual-size"])


async def write(path: Path, fmt: str, offset: int, length: int, pattern: int) -> None:
    """Fill ``length`` bytes at ``offset`` with the byte ``pattern``."""
    await asyncio.to_thread(_write, path, fmt, offset, length, pattern)


async def digest(path: Path, fmt: str, scratch: Path) -> str:
    """SHA-256 of the disk's whole raw content (as a guest would read it)."""
    return await asyncio.to_thread(_digest, path, fmt, scratch)


async def same_data(a: Path, a_fmt: str, b: Path, b_fmt: str) -> bool:
    """Whether two disks hold the same content (see ``_same_data``)."""
    return await asyncio.to_thread(_same_data, a, a_fmt, b, b_fmt)


async def virtual_size(path: Path, fmt: str) -> int:
    return await asyncio.to_thread(_virtual_size, path, fmt)
