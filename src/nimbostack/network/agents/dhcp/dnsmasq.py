"""One network's dnsmasq process: started in its namespace, reloaded, adopted, stopped.

dnsmasq daemonises (``ip netns exec`` runs it through ``core.process``, so it inherits
no descriptor of the cloud) and outlives the agent. Its pid file identifies it: a pid
counts as this network's dnsmasq only if ``/proc/<pid>/cmdline`` is dnsmasq's with
this network's pid file, so a recycled pid is never signalled. A changed command line
(a subnet added or removed) restarts it; changed hosts or options files only SIGHUP
it, which rereads them with the same pid.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from pathlib import Path

from nimbostack.core.process import run
from nimbostack.network.agents.dhcp.config import Files

START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0


class DnsmasqError(Exception):
    """dnsmasq would not start; the message is its own reason."""


def _cmdline(pid: int) -> list[str]:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def running_pid(files: Files) -> int | None:
    """The pid of the network's dnsmasq if it runs, else None."""
    try:
        pid = int(files.pid.read_text().strip())
    except (OSError, ValueError):
        return None
    args = _cmdline(pid)
    if args and Path(args[0]).name == "dnsmasq" and f"--pid-file={files.pid}" in args:
        return pid
    return None


def running_argv(files: Files) -> list[str] | None:
    """The command line the network's running dnsmasq was started with."""
    pid = running_pid(files)
    return _cmdline(pid) if pid is not None else None


async def start(namespace: str, argv: list[str], files: Files) -> int:
    """Start dnsmasq in ``namespace``; its pid once it has daemonised."""
    with contextlib.suppress(FileNotFoundError):
        files.pid.unlink()
    done = await run("ip", "netns", "exec", namespace, *argv, timeout=START_TIMEOUT)
    if done.returncode != 0:
        raise DnsmasqError(f"dnsmasq for {namespace}: {done.reason()}")
    pid = running_pid(files)
    if pid is None:
        raise DnsmasqError(f"dnsmasq for {namespace} left no running process")
    return pid


def reload(files: Files) -> bool:
    """SIGHUP the network's dnsmasq (rereads hosts and options); whether it runs."""
    pid = running_pid(files)
    if pid is None:
        return False
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGHUP)
    return True


async def stop(files: Files) -> bool:
    """Stop the network's dnsmasq (TERM, then KILL past the deadline); whether it ran."""
    pid = running_pid(files)
    if pid is None:
        return False
    _signal(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT
    while _alive(pid):
        if time.monotonic() > deadline:
            _signal(pid, signal.SIGKILL)
            deadline = time.monotonic() + STOP_TIMEOUT
        await asyncio.sleep(0.05)
    return True


def _signal(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)


def _alive(pid: int) -> bool:
    # dnsmasq is not our child (it daemonised), so it is reaped by init: once gone,
    # its /proc entry is gone. A zombie still has one, but no command line.
    return bool(_cmdline(pid))
