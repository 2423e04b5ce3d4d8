"""Child processes of the backends (qemu-img, cp): spawned off the loop, bounded in time.

Every child goes through ``core.process.spawn`` (it inherits only stdio), its output is
captured, and a child that outlives its deadline is killed. A failure becomes a
BackendError carrying the tool's last line of error output.
"""

from __future__ import annotations

import asyncio
import errno
import fcntl
import json
import os
from pathlib import Path
from typing import Any

from nimbostack.core import process
from nimbostack.volume.backends.base import BackendError

QEMU_IMG = "qemu-img"
# OpenStack disk_format -> qemu-img's name for it.
QEMU_FORMATS = {
    "raw": "raw",
    "qcow2": "qcow2",
    "vmdk": "vmdk",
    "vdi": "vdi",
    "vhd": "vpc",
    "vhdx": "vhdx",
}


async def run(*argv: str, timeout: float = 3600.0) -> str:
    """Run ``argv``; its standard output, or BackendError naming what went wrong."""
    # A cancelled run kills its child; the work it did is cleaned up by whoever asked.
    try:
        done = await process.run(*argv, timeout=timeout)
    except TimeoutError:  # first: it is an OSError too
        raise BackendError(f"{Path(argv[0]).name} {argv[1]} took over {timeout:g} s") from None
    except OSError as exc:
        raise BackendError(f"{argv[0]} could not run: {exc.strerror}") from None
    if done.returncode != 0:
        raise BackendError(f"{Path(argv[0]).name} {argv[1]} failed: {done.reason()}")
    return done.out.decode(errors="replace")


async def create(path: Path, fmt: str, size: int) -> None:
    await run(QEMU_IMG, "create", "-q", "-f", fmt, str(path), str(size))


async def resize(path: Path, fmt: str, size: int) -> None:
    await run(QEMU_IMG, "resize", "-q", "-f", fmt, str(path), str(size))


async def convert(
    source: Path,
    source_fmt: str,
    target: Path,
    target_fmt: str,
    *,
    shared: bool = False,
    existing: bool = False,
    timeout: float = 3600.0,
) -> None:
    """``qemu-img convert`` (zero blocks stay unallocated in the target).

    ``shared`` reads a source another process may hold open (an attached volume);
    ``existing`` writes into a target that already exists instead of creating it.
    """
    argv = [QEMU_IMG, "convert", "-q", "-f", source_fmt, "-O", target_fmt]
    if shared:
        argv.append("-U")
    if existing:
        argv.append("-n")
    await run(*argv, str(source), str(target), timeout=timeout)


async def convert_into(
    source: Path, source_fmt: str, target_args: list[str], *, timeout: float = 3600.0
) -> None:
    """``qemu-img convert`` of a source another process may hold open into an existing
    target that ``target_args`` open (``--object ... --target-image-opts <opts>``)."""
    argv = [QEMU_IMG, "convert", "-q", "-n", "-U", "-f", source_fmt, str(source)]
    await run(*argv, *target_args, timeout=timeout)


async def info(path: Path, fmt: str) -> dict[str, Any]:
    """``qemu-img info`` of a file we made ourselves (the format is always given)."""
    out = await run(QEMU_IMG, "info", "-U", "--output=json", "-f", fmt, str(path))
    found: dict[str, Any] = json.loads(out)
    return found


async def copy_file(source: Path, target: Path) -> None:
    """A copy of ``source`` at ``target`` that shares blocks where the filesystem can
    (reflink) and otherwise copies only the data extents (holes stay holes)."""
    await asyncio.to_thread(copy_sparse, source, target)


_FICLONE = 0x40049409  # ioctl: make target share all of source's blocks


def copy_sparse(source: Path, target: Path) -> None:
    """Blocking sparse copy (see copy_file); ``target`` must not exist yet."""
    with source.open("rb") as src, target.open("xb") as dst:
        size = os.fstat(src.fileno()).st_size
        try:
            fcntl.ioctl(dst.fileno(), _FICLONE, src.fileno())
            return
        except OSError:
            pass  # no reflinks here (ext4, tmpfs...): copy the data extents
        offset = 0
        while offset < size:
            try:
                start = os.lseek(src.fileno(), offset, os.SEEK_DATA)
            except OSError as exc:
                if exc.errno == errno.ENXIO:
                    break  # only a hole is left
                raise
            end = os.lseek(src.fileno(), start, os.SEEK_HOLE)
            _copy_range(src.fileno(), dst.fileno(), start, end)
            offset = end
        dst.truncate(size)


def _copy_range(src: int, dst: int, start: int, end: int) -> None:
    while start < end:
        done = os.copy_file_range(src, dst, end - start, start, start)
        if done == 0:
            raise BackendError("The source file shrank while it was being copied.")
        start += done
