"""Low-level control of guest processes: start, QMP, clean and forced stops, state saves.

The driver's actions are built from these steps. Everything is found again from
the guest's files, so a fresh agent controls guests started by an earlier one.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from nimbostack.compute import states
from nimbostack.compute.agent.drivers.base import DriverError, GuestNotFound, GuestSpec
from nimbostack.compute.agent.drivers.qemu import accel, chain, command, console, process, taps
from nimbostack.compute.agent.drivers.qemu.layout import GuestPaths, Layout
from nimbostack.compute.agent.drivers.qemu.options import QemuSettings
from nimbostack.compute.agent.drivers.qemu.qmp import QmpError, qmp_execute

LOG = logging.getLogger(__name__)
# A state save or live migration may use the whole link: QEMU's default is 32 MiB/s.
_MAX_BANDWIDTH = 8 * 1024**3
_INCOMING_TIMEOUT = 120.0

# QMP run states -> power state; anything not listed is NOSTATE.
_RUN_STATES = {
    "running": states.RUNNING,
    "paused": states.PAUSED_POWER,
    "suspended": states.PAUSED_POWER,
    "inmigrate": states.PAUSED_POWER,
    "prelaunch": states.PAUSED_POWER,
    "finish-migrate": states.PAUSED_POWER,
    "save-vm": states.PAUSED_POWER,
    "restore-vm": states.PAUSED_POWER,
    "debug": states.PAUSED_POWER,
    "colo": states.PAUSED_POWER,
    "postmigrate": states.SHUTDOWN,
    "shutdown": states.SHUTDOWN,
    "guest-panicked": states.CRASHED,
    "internal-error": states.CRASHED,
    "io-error": states.CRASHED,
    "watchdog": states.CRASHED,
}


class Guests:
    """Processes of the guests under one instances path."""

    def __init__(self, settings: QemuSettings, layout: Layout) -> None:
        self.settings = settings
        self.layout = layout
        self._accel_lock = asyncio.Lock()

    def paths(self, uuid: str, *, must_exist: bool = True) -> GuestPaths:
        paths = self.layout.guest(uuid)
        if must_exist and not paths.state_file.exists():
            raise GuestNotFound(f"no guest {uuid} on this host")
        return paths

    async def choose_accel(self, spec: GuestSpec) -> str:
        async with self._accel_lock:  # one probe per host, however many spawns race
            return await accel.choose(self.settings, self.layout.instances_path, spec.image)

    async def start(
        self, spec: GuestSpec, paths: GuestPaths, *, incoming: str | None = None
    ) -> int:
        """Launch the guest's QEMU from its spec and files; returns the pid."""
        if self.pid(paths) is not None:
            raise DriverError(f"guest {paths.uuid} is already running")
        state = paths.read_state()
        accel_name = state.get("accel") if incoming else None
        accel_name = accel_name or await self.choose_accel(spec)
        rescue = bool(state.get("rescue"))
        bases = await chain.bases(self.settings.qemu_img, paths, rescue=rescue)
        boot = command.Boot(accel=accel_name, incoming=incoming, rescue=rescue, bases=bases)
        argv = command.build(spec, paths, self.settings, boot)
        console.trim(paths.console_log, self.settings.console_log_max_bytes)
        paths.write_state(**{taps.STATE_KEY: await taps.plug(spec.vifs)})
        pid = await process.launch(argv, paths)
        paths.write_state(accel=accel_name, name=spec.name, memory_mb=spec.memory_mb)
        return pid

    def pid(self, paths: GuestPaths) -> int | None:
        return process.read_pid(paths)

    async def qmp(self, paths: GuestPaths, name: str, args: dict[str, Any] | None = None) -> Any:
        if self.pid(paths) is None:
            raise DriverError(f"guest {paths.uuid} is not running")
        try:
            return await qmp_execute(paths.qmp_socket, name, args)
        except QmpError as exc:
            raise DriverError(str(exc)) from None

    async def run_state(self, paths: GuestPaths) -> str | None:
        """QEMU's run state ("running", "paused", ...), None when no process runs."""
        if self.pid(paths) is None:
            return None
        try:
            status = await qmp_execute(paths.qmp_socket, "query-status", timeout=5.0)
        except QmpError:
            return "unknown"
        return str(status["status"])

    async def power_state(self, paths: GuestPaths) -> int:
        run_state = await self.run_state(paths)
        if run_state is None:
            if paths.memory_state.exists():
                return states.SUSPENDED_POWER
            return states.SHUTDOWN
        return _RUN_STATES.get(run_state, states.NOSTATE)

    async def kill(self, paths: GuestPaths) -> None:
        pid = self.pid(paths)
        if pid is not None:
            await process.kill(pid, paths.uuid)

    async def unplug(self, paths: GuestPaths) -> None:
        """Remove the guest's taps (its QEMU is gone: nothing else uses them)."""
        await taps.unplug(paths.read_state().get(taps.STATE_KEY) or [])

    async def shutdown(self, paths: GuestPaths, timeout: float) -> bool:
        """ACPI power button, then a forced stop after timeout; True if the guest obeyed."""
        pid = self.pid(paths)
        if pid is None:
            return True
        if timeout > 0 and await self.run_state(paths) == "running":
            try:
                await qmp_execute(paths.qmp_socket, "system_powerdown")
            except QmpError as exc:
                LOG.warning("guest %s: ACPI shutdown failed: %s", paths.uuid, exc)
            else:
                if await process.wait_exit(pid, paths.uuid, timeout):
                    return True
        await process.kill(pid, paths.uuid)
        return False

    async def migrate_out(
        self, paths: GuestPaths, uri: str, *, timeout: float, block: bool = False
    ) -> dict[str, Any]:
        """Send RAM and device state (and disks if block) to uri; the query-migrate result."""
        await self.qmp(paths, "migrate-set-parameters", {"max-bandwidth": _MAX_BANDWIDTH})
        args: dict[str, Any] = {"uri": uri}
        if block:
            # Incremental: the destination has the same base image, copy the overlay only.
            args.update(blk=True, inc=True)
        await self.qmp(paths, "migrate", args)
        deadline = time.monotonic() + timeout
        while True:
            info: dict[str, Any] = await self.qmp(paths, "query-migrate")
            status = info.get("status")
            if status == "completed":
                return info
            if status in ("failed", "cancelled"):
                raise DriverError(f"migration failed: {info.get('error-desc', status)}")
            if time.monotonic() > deadline:
                await self.qmp(paths, "migrate_cancel")
                raise DriverError(f"migration did not finish within {timeout:.0f} s")
            await asyncio.sleep(0.05)

    async def wait_incoming(self, paths: GuestPaths, timeout: float = _INCOMING_TIMEOUT) -> str:
        """Wait until an incoming state load finished; returns the resulting run state."""
        deadline = time.monotonic() + timeout
        while True:
            run_state = await self.run_state(paths)
            if run_state is None:
                raise DriverError(f"guest {paths.uuid} exited while loading its saved state")
            if run_state not in ("inmigrate", "unknown"):
                return run_state
            if time.monotonic() > deadline:
                raise DriverError(f"guest {paths.uuid} did not load its saved state in time")
            await asyncio.sleep(0.05)
