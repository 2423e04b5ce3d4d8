"""A compute agent in its own process (`nimbostack serve compute-agent`) beside a cloud.

It joins the cloud over RabbitMQ as another hypervisor host on this machine, with its
own instances path, and reads the service password from the cloud's data directory.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

from tests.support.cloud import VENV_BIN, RunningCloud


class AgentProcess:
    """One extra agent; ``disks_path`` None gives it disks of its own (no shared storage)."""

    def __init__(self, cloud: RunningCloud, host: str, disks_path: Path | None) -> None:
        self.cloud = cloud
        self.host = host
        self.instances = cloud.data_dir / host
        self.log = cloud.data_dir / f"agent-{host}.log"
        self.env = {
            **cloud.env,
            "NIMBOSTACK_COMPUTE_AGENT__HOST": host,
            "NIMBOSTACK_COMPUTE_AGENT__INSTANCES_PATH": str(self.instances),
            "NIMBOSTACK_QEMU__DISKS_PATH": str(disks_path or ""),
        }
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [str(VENV_BIN / "nimbostack"), "serve", "compute-agent"],
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def wait_registered(self, timeout: float = 60.0) -> None:
        """Until the host is a hypervisor of the cloud that reports itself up."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self._check_alive()
            rows = self.cloud.cli("compute", "service", "list", "--host", self.host)
            if any(row["State"] == "up" for row in rows or []):
                return
            time.sleep(0.5)
        raise AssertionError(f"agent {self.host} did not register: {self.log_tail()}")

    def wait_log(self, text: str, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self._check_alive()
            if text in self.log.read_text(errors="replace"):
                return
            time.sleep(0.2)
        raise AssertionError(f"agent {self.host} never logged {text!r}: {self.log_tail()}")

    def kill9(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def _check_alive(self) -> None:
        assert self.proc is not None
        if self.proc.poll() is not None:
            raise AssertionError(f"agent {self.host} exited: {self.log_tail()}")

    def log_tail(self, lines: int = 30) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])
