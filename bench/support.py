"""Shared by the benchmarks: start a cloud subprocess, read its memory, run wrk."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class CloudProcess:
    """`nimbostack up` in a subprocess, optionally pinned to CPUs with taskset."""

    data_dir: Path
    ports: dict[str, int]
    proc: subprocess.Popen[bytes]
    started_in: float
    helpers: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @classmethod
    def start(
        cls,
        services: list[str],
        cpus: str | None = None,
        env: dict[str, str] | None = None,
        data_dir: Path | None = None,
        apart: list[str] | None = None,
    ) -> CloudProcess:
        """``apart``: services started first, each in its own `nimbostack serve` process."""
        data_dir = data_dir or Path(tempfile.mkdtemp(prefix="nimbo-bench-"))
        ports = {name: free_port() for name in services}
        full_env = dict(
            os.environ,
            NIMBOSTACK_DATA_DIR=str(data_dir),
            NIMBOSTACK_NO_USER_CLOUDS="1",
            HOME=str(data_dir),
        )
        full_env.update({f"NIMBOSTACK_{n.upper()}__PORT": str(p) for n, p in ports.items()})
        full_env["NIMBOSTACK_COMPUTE__METADATA_PORT"] = str(free_port())
        full_env.update(env or {})
        began = time.perf_counter()
        helpers = []
        for name in apart or []:
            log = (data_dir / f"bench-{name}.log").open("wb")
            helper = subprocess.Popen(
                [str(BIN / "nimbostack"), "serve", name],
                env=full_env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            _wait_http(f"http://127.0.0.1:{ports[name]}/", helper)
            helpers.append(helper)
        cmd = [str(BIN / "nimbostack"), "up", *(f"--apart={name}" for name in apart or [])]
        if cpus:
            cmd = ["taskset", "-c", cpus, *cmd]
        log = (data_dir / "bench-up.log").open("wb")
        proc = subprocess.Popen(cmd, env=full_env, stdout=log, stderr=subprocess.STDOUT)
        for port in ports.values():
            _wait_http(f"http://127.0.0.1:{port}/", proc)
        return cls(data_dir, ports, proc, time.perf_counter() - began, helpers)

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}"

    def password(self, user: str) -> str:
        return (self.data_dir / f"{user}-password").read_text().strip()

    def rss_mb(self, field: str = "VmRSS") -> float:
        status = Path(f"/proc/{self.proc.pid}/status").read_text()
        match = re.search(rf"{field}:\s+(\d+) kB", status)
        return int(match.group(1)) / 1024 if match else 0.0

    def cpu_seconds(self) -> float:
        """User plus system CPU time the cloud process has used so far."""
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks = os.sysconf("SC_CLK_TCK")
        return (int(fields[11]) + int(fields[12])) / ticks

    def stop(self, remove: bool = True) -> None:
        for proc in [self.proc, *self.helpers]:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=30)
        if remove:
            shutil.rmtree(self.data_dir, ignore_errors=True)


def _wait_http(url: str, proc: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"cloud exited with {proc.returncode}")
        try:
            httpx.get(url, timeout=1.0)
            return
        except httpx.HTTPError:
            time.sleep(0.01)
    raise RuntimeError(f"{url} did not answer within {timeout}s")


def wrk(
    url: str,
    headers: dict[str, str],
    *,
    seconds: int = 10,
    connections: int = 32,
    cpus: str = "1",
    script: Path | None = None,
) -> tuple[float, int]:
    """Requests per second reported by wrk (pinned to ``cpus``), and how many it sent."""
    cmd = ["taskset", "-c", cpus, "wrk", "-t1", f"-c{connections}", f"-d{seconds}s"]
    for key, value in headers.items():
        cmd += ["-H", f"{key}: {value}"]
    if script:
        cmd += ["-s", str(script)]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True).stdout
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non2xx:
        raise RuntimeError(f"wrk saw {non2xx.group(1)} error responses:\n{out}")
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    total = re.search(r"(\d+) requests in", out)
    if not match or not total:
        raise RuntimeError(out)
    return float(match.group(1)), int(total.group(1))
