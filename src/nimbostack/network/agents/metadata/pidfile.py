"""Daemons the agents leave running: found again by pid file and command line, and stopped.

A daemon outlives the agent that started it, so a restarted agent adopts it: the pid in
its pid file counts only while ``/proc/<pid>/cmdline`` still names the daemon's own
configuration file (a recycled pid belongs to someone else). Reading ``/proc`` and
small files is quick, but it still runs in a thread so the loop never waits on a disk.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from pathlib import Path


def _read_pid(pid_file: Path) -> int | None:
    try:
        text = pid_file.read_text().split()
    except OSError:
        return None
    return int(text[0]) if text and text[0].isdigit() else None


def _cmdline(pid: int) -> list[str]:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []  # gone (a zombie has an empty command line too)
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def _running(pid_file: Path, marker: str) -> int | None:
    pid = _read_pid(pid_file)
    if pid is None:
        return None
    return pid if marker in _cmdline(pid) else None


async def running(pid_file: Path, marker: str) -> int | None:
    """The pid of the daemon whose command line holds ``marker``, if it still runs."""
    return await asyncio.to_thread(_running, pid_file, marker)


async def stop(pid_file: Path, marker: str, timeout: float = 10.0) -> bool:
    """Stop the daemon (TERM, then KILL past ``timeout``); whether one was running.

    Raises TimeoutError if even KILL leaves it there for another ``timeout``.
    """
    pid = await running(pid_file, marker)
    if pid is None:
        return False
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)
        if await _gone(pid, timeout):
            return True
    raise TimeoutError(f"process {pid} ({marker}) does not stop")


async def _gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while await asyncio.to_thread(_cmdline, pid):
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.05)
    return True
