"""Where one guest's files live: runtime state per host, disks possibly shared.

``<instances_path>/<uuid>/`` holds what belongs to the QEMU process on this host
(pid file, QMP and serial sockets, serial log, saved RAM of a suspended guest,
state.json).
``<disks_path>/<uuid>/disks/`` holds the disks, kernel and config drive; hosts
that share ``disks_path`` live-migrate without copying disks. By default
disks_path is the instances path, so the disks sit inside the runtime directory.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# sockaddr_un.sun_path is 108 bytes including the terminating NUL.
_MAX_SOCKET_PATH = 100


@dataclass(frozen=True)
class GuestPaths:
    """The files of one guest on one host."""

    uuid: str
    run_dir: Path
    disk_dir: Path

    @property
    def pid_file(self) -> Path:
        return self.run_dir / "qemu.pid"

    @property
    def qemu_log(self) -> Path:
        return self.run_dir / "qemu.log"

    @property
    def console_log(self) -> Path:
        return self.run_dir / "console.log"

    @property
    def memory_state(self) -> Path:
        return self.run_dir / "memory.state"

    @property
    def state_file(self) -> Path:
        return self.run_dir / "state.json"

    @property
    def qmp_socket(self) -> Path:
        return self._socket("qmp")

    @property
    def serial_socket(self) -> Path:
        """The guest's serial port, interactive (its output also goes to console_log)."""
        return self._socket("serial")

    def _socket(self, name: str) -> Path:
        natural = self.run_dir / f"{name}.sock"
        if len(str(natural)) <= _MAX_SOCKET_PATH:
            return natural
        # Long instances paths (test temp dirs): a short, stable path per guest dir.
        digest = hashlib.sha256(str(self.run_dir).encode()).hexdigest()[:16]
        return Path(tempfile.gettempdir()) / f"nimbostack-{name}" / f"{digest}.sock"

    def disk(self, name: str) -> Path:
        return self.disk_dir / name

    @property
    def root_disk(self) -> Path:
        return self.disk_dir / "disk"

    @property
    def config_drive(self) -> Path:
        return self.disk_dir / "disk.config"

    def remove(self, *, keep_disks: bool) -> None:
        """Delete the guest's files on this host (its disks too unless keep_disks)."""
        if not keep_disks:
            shutil.rmtree(self.disk_dir, ignore_errors=True)
            _remove_if_empty(self.disk_dir.parent)
        if keep_disks and self.disk_dir.is_relative_to(self.run_dir):
            for entry in self.run_dir.iterdir():
                if entry.is_file():
                    entry.unlink()
            return
        shutil.rmtree(self.run_dir, ignore_errors=True)

    def read_state(self) -> dict[str, Any]:
        try:
            state: dict[str, Any] = json.loads(self.state_file.read_text())
        except (OSError, ValueError):
            return {}
        return state

    def write_state(self, **changes: Any) -> dict[str, Any]:
        state = self.read_state()
        state.update(changes)
        self.run_dir.mkdir(parents=True, exist_ok=True)
        partial = self.state_file.with_suffix(".tmp")
        partial.write_text(json.dumps(state, indent=1))
        os.replace(partial, self.state_file)  # a crash never leaves half a state file
        return state

    def make_dirs(self) -> None:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.disk_dir.mkdir(parents=True, exist_ok=True)
        self.qmp_socket.parent.mkdir(parents=True, exist_ok=True)
        self.serial_socket.parent.mkdir(parents=True, exist_ok=True)


def _remove_if_empty(directory: Path) -> None:
    with contextlib.suppress(OSError):  # not empty, or already gone
        directory.rmdir()


class Layout:
    """Maps guest uuids to their files on this host."""

    def __init__(self, instances_path: Path, disks_path: Path | None = None) -> None:
        self.instances_path = instances_path.resolve()
        self.disks_path = (disks_path or instances_path).resolve()

    def guest(self, uuid: str) -> GuestPaths:
        return GuestPaths(uuid, self.instances_path / uuid, self.disks_path / uuid / "disks")

    def resize_dir(self, uuid: str) -> Path:
        """Where the source keeps a guest's old disks until a resize is confirmed."""
        return self.disks_path / f"{uuid}_resize" / "disks"

    def known_uuids(self) -> list[str]:
        if not self.instances_path.is_dir():
            return []
        return sorted(
            entry.name
            for entry in self.instances_path.iterdir()
            if (entry / "state.json").is_file()
        )
