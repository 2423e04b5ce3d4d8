"""``qemu-img info`` under resource limits: how untrusted image data meets a QEMU tool.

A crafted image can make qemu-img spin or allocate without bound, so the child runs
under ``prlimit`` (CPU seconds and address space, applied before qemu-img starts;
no Python code runs in the child) and a wall-clock deadline, as an asyncio
subprocess that never blocks the event loop. The format is always given: qemu-img
never probes.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from nimbostack.core.diskimage.probe import FormatError
from nimbostack.core.process import run

# qemu-img info needs a few hundred MiB of address space at most (Nova and Glance use 1 GiB).
ADDRESS_SPACE_BYTES = 1024**3
MAX_CPU_SECONDS = 30
PRLIMIT = "prlimit"


def limited(argv: list[str], timeout: float) -> list[str]:
    """``argv`` run under CPU-time and address-space limits."""
    cpu = max(1, min(MAX_CPU_SECONDS, math.ceil(timeout)))
    return [PRLIMIT, f"--cpu={cpu}", f"--as={ADDRESS_SPACE_BYTES}", "--", *argv]


async def info(
    path: Path, fmt: str, *, timeout: float, qemu_img: str = "qemu-img"
) -> dict[str, Any]:
    """``qemu-img info --output=json`` of ``path`` read as ``fmt`` (-U: it may be in use)."""
    argv = limited([qemu_img, "info", "--output=json", "-U", "-f", fmt, str(path)], timeout)
    try:
        done = await run(*argv, timeout=timeout)
    except TimeoutError:  # first: it is an OSError too
        raise FormatError("Image data could not be inspected in time.") from None
    except OSError as exc:
        raise FormatError(f"Image data could not be inspected: {exc}") from None
    if done.returncode != 0:
        raise FormatError(f"Image data is not a valid {fmt} file: {done.reason()}")
    try:
        found = json.loads(done.out)
    except ValueError:
        raise FormatError(
            "Image data could not be inspected: unreadable qemu-img output."
        ) from None
    if not isinstance(found, dict):
        raise FormatError("Image data could not be inspected: unexpected qemu-img output.")
    return found
