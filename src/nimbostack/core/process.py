"""Child processes of the cloud (QEMU, qemu-img, dnsmasq, proxies): only chosen descriptors.

Guests and helpers outlive the control plane, so a descriptor they inherit by accident
(a listening API socket, a database file) stays open after the cloud stops: a leaked
socket keeps the API's port. uvloop hands every inheritable descriptor to a child and
ignores ``close_fds``, so every spawn goes through ``spawn``, which marks every
descriptor close-on-exec first, except the standard streams and ``pass_fds``.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

_FD_DIR = "/proc/self/fd"


def seal_descriptors(keep: Iterable[int] = ()) -> None:
    """Make every descriptor of this process close-on-exec, except 0-2 and ``keep``."""
    kept = {0, 1, 2, *keep}
    for name in os.listdir(_FD_DIR):
        fd = int(name)
        if fd in kept:
            continue
        with contextlib.suppress(OSError):  # closed meanwhile, or the listing's own fd
            if os.get_inheritable(fd):
                os.set_inheritable(fd, False)


async def spawn(
    *argv: str, pass_fds: Iterable[int] = (), **kwargs: Any
) -> asyncio.subprocess.Process:
    """``asyncio.create_subprocess_exec`` that passes on only stdio and ``pass_fds``."""
    passed = tuple(pass_fds)
    seal_descriptors(passed)
    for fd in passed:
        os.set_inheritable(fd, True)
    try:
        return await asyncio.create_subprocess_exec(*argv, pass_fds=passed, **kwargs)
    finally:
        for fd in passed:
            with contextlib.suppress(OSError):
                os.set_inheritable(fd, False)


@dataclass(frozen=True)
class Finished:
    """What a tool run by ``run`` left: its exit status and captured output."""

    returncode: int
    out: bytes
    err: bytes

    def reason(self) -> str:
        """The last line of its error output (tools put the cause there)."""
        lines = self.err.decode(errors="replace").strip().splitlines()
        return lines[-1] if lines else f"exit status {self.returncode}"


async def run(*argv: str, timeout: float, input: bytes | None = None) -> Finished:
    """Run a tool with ``input`` (else none) and its output captured, within ``timeout`` s.

    Past the deadline the child is killed and reaped, then TimeoutError is raised (an
    OSError subclass: catch it first); a cancelled caller kills it too. Any other
    OSError: the tool could not start.
    """
    proc = await spawn(
        *argv,
        stdin=asyncio.subprocess.DEVNULL if input is None else asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        # Not wait_for: on 3.11 it can swallow a cancel that lands as the child exits,
        # and a cancelled periodic task would then run on.
        async with asyncio.timeout(timeout):
            out, err = await proc.communicate(input)
    except TimeoutError:
        _kill(proc)
        await proc.wait()
        raise
    except asyncio.CancelledError:
        _kill(proc)
        raise
    return Finished(proc.returncode or 0, out, err)


def _kill(proc: asyncio.subprocess.Process) -> None:
    with contextlib.suppress(ProcessLookupError):
        proc.kill()
