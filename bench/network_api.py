"""Benchmark: the networking API with 10,000 ports, its server alone in one process.

Starts `nimbostack up` with networking apart (`nimbostack serve network`, so its CPU and
memory are its own), makes a network with a /16, then measures through real HTTP with
an identity token: port-create latency one at a time (p50, p95), sustained creates/s
with wrk (a C client, so the load generator takes little of the machine) at a given
concurrency, then tops up to 10,000 ports and times `GET /v2.0/ports` of all of them
(p50, p95, as the client and as the server's handler saw it), and the server's RSS.
Prints a markdown table.

Usage: .venv/bin/python -m bench.network_api [--ports 10000] [--single 300]
       [--concurrency 16] [--seconds 20] [--lists 10]
"""

from __future__ import annotations

import argparse
import asyncio
import re
import time
from pathlib import Path

import httpx

from bench.support import CloudProcess, free_port, wrk

SERVICES = ["identity", "image", "placement", "compute", "network"]


def _token(auth_url: str, password: str) -> str:
    body = {
        "auth": {
            "identity": {
                "methods": ["password"],
                "password": {
                    "user": {"name": "admin", "domain": {"id": "default"}, "password": password}
                },
            },
            "scope": {"project": {"name": "admin", "domain": {"id": "default"}}},
        }
    }
    resp = httpx.post(f"{auth_url}/v3/auth/tokens", json=body, timeout=30)
    resp.raise_for_status()
    return resp.headers["X-Subject-Token"]


def _env() -> dict[str, str]:
    return {
        "NIMBOSTACK_IMAGE__GUEST_IMAGE": "false",
        "NIMBOSTACK_IDENTITY__PASSWORD_HASH_ROUNDS": "4",
        "NIMBOSTACK_COMPUTE_AGENT__DRIVER": "fake",
        "NIMBOSTACK_CONSOLE_PROXY__PORT": str(free_port()),
        "NIMBOSTACK_NETWORK__BOOTSTRAP_TOPOLOGY": "false",
        "NIMBOSTACK_NETWORK__QUOTA_PORT": "-1",
    }


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] * 1000


def _server_ms(log: Path, method: str, path: str) -> list[float]:
    """The server's own handling times of ``method path`` (its request log lines)."""
    pattern = re.compile(rf" {method} {re.escape(path)} \d+ ([\d.]+)ms$")
    found = (pattern.search(line) for line in log.read_text(errors="replace").splitlines())
    return [float(m.group(1)) / 1000 for m in found if m]


def _rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    match = re.search(r"VmRSS:\s+(\d+) kB", status)
    return int(match.group(1)) / 1024 if match else 0.0


class Bench:
    def __init__(self, client: httpx.AsyncClient, network_url: str, data_dir: Path) -> None:
        self.client = client
        self.base = f"{network_url}/v2.0"
        self.network_id = ""
        self.data_dir = data_dir

    async def prepare(self) -> None:
        net = await self.client.post(f"{self.base}/networks", json={"network": {"name": "bench"}})
        net.raise_for_status()
        self.network_id = net.json()["network"]["id"]
        body = {"network_id": self.network_id, "cidr": "10.128.0.0/16", "ip_version": 4}
        (await self.client.post(f"{self.base}/subnets", json={"subnet": body})).raise_for_status()

    async def create(self) -> float:
        began = time.perf_counter()
        resp = await self.client.post(
            f"{self.base}/ports", json={"port": {"network_id": self.network_id}}
        )
        if resp.status_code != 201:
            raise RuntimeError(resp.text)
        return time.perf_counter() - began

    async def fill(self, count: int, concurrency: int) -> None:
        """Create ``count`` ports with ``concurrency`` in flight (not timed)."""
        queue = iter(range(count))

        async def worker() -> None:
            for _ in queue:
                await self.create()

        await asyncio.gather(*(worker() for _ in range(concurrency)))

    def sustained(self, token: str, connections: int, seconds: int) -> tuple[float, int]:
        """Port creates/s from wrk over ``seconds``, and how many it created."""
        script = Path(self.data_dir) / "create-port.lua"
        body = '{"port": {"network_id": "' + self.network_id + '"}}'
        script.write_text(
            f"wrk.method = \"POST\"\nwrk.body = '{body}'\n"
            'wrk.headers["Content-Type"] = "application/json"\n'
        )
        headers = {"X-Auth-Token": token}
        return wrk(
            f"{self.base}/ports", headers, seconds=seconds, connections=connections, script=script
        )

    async def count(self) -> int:
        resp = await self.client.get(f"{self.base}/ports", params={"fields": "id"})
        return len(resp.json()["ports"])

    async def list_all(self) -> tuple[float, int]:
        began = time.perf_counter()
        resp = await self.client.get(f"{self.base}/ports")
        resp.raise_for_status()
        return time.perf_counter() - began, len(resp.json()["ports"])


async def run(network_url: str, token: str, pid: int, log: Path, args: argparse.Namespace) -> str:
    single, concurrency = args.single, args.concurrency
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    headers = {"X-Auth-Token": token}
    async with httpx.AsyncClient(headers=headers, timeout=120, limits=limits) as client:
        bench = Bench(client, network_url, log.parent)
        await bench.prepare()
        latencies = [await bench.create() for _ in range(single)]
        rate, made = await asyncio.to_thread(bench.sustained, token, concurrency, args.seconds)
        await bench.fill(max(0, args.ports - await bench.count()), concurrency)
        listed = [await bench.list_all() for _ in range(args.lists)]
    count = max(found for _, found in listed)
    times = [t for t, _ in listed]
    served = _server_ms(log, "GET", "/v2.0/ports")
    creates = _server_ms(log, "POST", "/v2.0/ports")[:single]
    return "\n".join(
        [
            "| measure | result | goal |",
            "|---|---:|---|",
            f"| port create, one at a time, p50 | {_pct(latencies, 0.5):.1f} ms | ≤ 10 ms |",
            f"| port create, one at a time, p95 | {_pct(latencies, 0.95):.1f} ms | ≤ 30 ms |",
            f"| same, time in the server's handler, p50 | {_pct(creates, 0.5):.1f} ms | |",
            f"| port creates/s, wrk, {concurrency} connections, {made:,} ports | "
            f"{rate:.0f}/s | ≥ 200/s |",
            f"| GET /v2.0/ports, {count:,} ports, p50 | {_pct(times, 0.5):.0f} ms | ≤ 150 ms |",
            f"| GET /v2.0/ports, {count:,} ports, p95 | {_pct(times, 0.95):.0f} ms | |",
            f"| same, time in the server's handler, p50 | {_pct(served, 0.5):.0f} ms | |",
            f"| network server RSS after {count:,} ports | {_rss_mb(pid):.0f} MB | |",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--ports", type=int, default=10000)
    parser.add_argument("--single", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--lists", type=int, default=10)
    args = parser.parse_args()
    cloud = CloudProcess.start(SERVICES, env=_env(), apart=["network"])
    try:
        token = _token(cloud.url("identity"), cloud.password("admin"))
        pid = cloud.helpers[0].pid
        log = cloud.data_dir / "bench-network.log"
        print(asyncio.run(run(cloud.url("network"), token, pid, log, args)))
    finally:
        cloud.stop()


if __name__ == "__main__":
    main()
