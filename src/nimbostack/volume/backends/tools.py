"""Child processes of the backends (qemu-img, cp): spawned off the loop, bounded in time.

Every child goes through ``core.process.spawn`` (it inherits only stdio), its output is
captured, and a child that outlives its deadline is killed. A failure becomes a
BackendError carrying the tool's last line of error output.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from pathlib import Path
from typing import Any

from nimbostack.core.process import spawn
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
    try:
        proc = await spawn(
            *argv,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
    except OSError as exc:
        raise BackendError(f"{argv[0]} could not run: {exc.strerror}") from None
    try:
        out, err = await asyncio.wait_for(proc.communicate(), timeout)
    except TimeoutError:
        _kill(proc)
        await proc.wait()
        raise BackendError(f"{Path(argv[0]).name} {argv[1]} took over {timeout:g} s") from None
    except asyncio.CancelledError:
        _kill(proc)  # the work it did is cleaned up by whoever asked for it
        raise
    if proc.returncode != 0:
        lines = err.decode(errors="replace").strip().splitlines()
        reason = lines[-1] if lines else f"exit status {proc.returncode}"
        raise BackendError(f"{Path(argv[0]).name} {argv[1]} failed: {reason}")
    return out.decode(errors="replace")


def _kill(proc: asyncio.subprocess.Process) -> None:
    with contextlib.suppress(ProcessLookupError):
        proc.kill()


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


async def info(path: Path, fmt: str) -> dict[str, Any]:
    """``qemu-img info`` of a file we made ourselves (the format is always given)."""
    out = await run(QEMU_IMG, "info", "-U", "--output=json", "-f", fmt, str(path))
    found: dict[str, Any] = json.loads(out)
    return found


async def copy_file(source: Path, target: Path) -> None:
    """A sparse copy that shares blocks where the filesystem can (reflink)."""
    await run("cp", "--reflink=auto", "--sparse=always", str(source), str(target))
