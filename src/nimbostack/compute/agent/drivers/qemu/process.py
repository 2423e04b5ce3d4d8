"""QEMU processes: launched detached so they outlive the agent, found again by pid file.

QEMU daemonizes itself (``-daemonize``): the launcher returns once the guest's
devices are set up, with a non-zero status and QEMU's message on failure, and
the guest process is re-parented away from the agent, in its own session, so
neither ``kill -9`` of the agent nor its process group reaches it.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import Sequence
from pathlib import Path

from nimbostack.compute.agent.drivers.base import DriverError
from nimbostack.compute.agent.drivers.qemu.layout import GuestPaths
from nimbostack.core.process import spawn

_LAUNCH_TIMEOUT = 60.0


async def launch(command: Sequence[str], paths: GuestPaths) -> int:
    """Start QEMU daemonized; return its pid. A failure raises DriverError with QEMU's words."""
    paths.make_dirs()
    paths.pid_file.unlink(missing_ok=True)
    paths.qmp_socket.unlink(missing_ok=True)
    argv = [*command, "-daemonize", "-pidfile", str(paths.pid_file)]
    with paths.qemu_log.open("ab") as log:
        log.write(f"--- {time.strftime('%Y-%m-%d %H:%M:%S')} {' '.join(argv)}\n".encode())
        log.flush()
        offset = log.tell()
        process = await spawn(
            *argv,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            start_new_session=True,
        )
        try:
            status = await asyncio.wait_for(process.wait(), _LAUNCH_TIMEOUT)
        except TimeoutError:
            process.kill()
            await process.wait()
            status = -1
    if status != 0:
        raise DriverError(f"QEMU failed to start: {_log_since(paths.qemu_log, offset)}")
    pid = read_pid(paths)
    if pid is None:
        raise DriverError("QEMU started but wrote no pid file")
    return pid


def _log_since(log: Path, offset: int) -> str:
    with log.open("rb") as handle:
        handle.seek(offset)
        text = handle.read(4096).decode("utf-8", "replace")
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    # QEMU prefixes its messages with the binary name (and a timestamp with -msg).
    return "; ".join(lines) or "no message (see qemu.log)"


def read_pid(paths: GuestPaths) -> int | None:
    """The pid in the guest's pid file if that process is still its QEMU, else None."""
    try:
        pid = int(paths.pid_file.read_text().strip())
    except (OSError, ValueError):
        return None
    return pid if is_guest_process(pid, paths.uuid) else None


def is_guest_process(pid: int, uuid: str) -> bool:
    """Whether pid is a live (not zombie) QEMU whose command line names this guest."""
    proc = Path(f"/proc/{pid}")
    try:
        stat = (proc / "stat").read_text()
        cmdline = (proc / "cmdline").read_bytes()
    except OSError:
        return False
    # The state letter follows the parenthesised command name.
    state = stat.rsplit(")", 1)[-1].split()[0]
    return state not in ("Z", "X") and uuid.encode() in cmdline.split(b"\0")


async def wait_exit(pid: int, uuid: str, timeout: float) -> bool:
    """Wait up to timeout for the process to exit; True if it did."""
    deadline = time.monotonic() + timeout
    while is_guest_process(pid, uuid):
        if time.monotonic() >= deadline:
            return False
        await asyncio.sleep(0.05)
    return True


async def kill(pid: int, uuid: str) -> None:
    """SIGTERM, then SIGKILL if QEMU has not exited within a few seconds."""
    for sig, grace in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 10.0)):
        if not is_guest_process(pid, uuid):
            return
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return
        if await wait_exit(pid, uuid, grace):
            return
    raise DriverError(f"QEMU process {pid} of {uuid} does not die")


def rss_bytes(pid: int) -> int:
    """Resident memory of a process (for the per-guest overhead benchmark)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0
