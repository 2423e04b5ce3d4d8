"""Benchmark: compute boots on the fake driver, through the real API.

Measures API->ACTIVE latency of single boots (p50, p95), sustained boots per second at
concurrency 50, and GET /servers/detail with 1,000 servers; prints a markdown table.

Usage: .venv/bin/python -m bench.compute_boot [--hosts 50] [--single 20] [--burst 500]
       [--attach DATA_DIR]   (measure a cloud already running from DATA_DIR)
       [--apart placement]   (placement in a `nimbostack serve placement` process)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from bench.support import CloudProcess, free_port
from tests.e2e.test_compute_scale import COMPUTE, Endpoints, boot_many, prepare

SERVICES = ["identity", "image", "placement", "compute"]


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


def _env(hosts: int) -> dict[str, str]:
    return {
        "NIMBOSTACK_COMPUTE_AGENT__FAKE_HOSTS": str(hosts),
        "NIMBOSTACK_COMPUTE_AGENT__DRIVER": "fake",
        "NIMBOSTACK_COMPUTE__METADATA_PORT": str(free_port()),
        "NIMBOSTACK_COMPUTE__QUOTA_INSTANCES": "-1",
        "NIMBOSTACK_COMPUTE__QUOTA_CORES": "-1",
        "NIMBOSTACK_COMPUTE__QUOTA_RAM": "-1",
        "NIMBOSTACK_IMAGE__GUEST_IMAGE": "false",
        "NIMBOSTACK_IDENTITY__PASSWORD_HASH_ROUNDS": "4",
    }


async def _until_active(ep: Endpoints, client: httpx.AsyncClient, server: str) -> None:
    while True:
        resp = await client.get(f"{ep.compute}/servers/{server}", headers=ep.headers(COMPUTE))
        status = resp.json()["server"]["status"]
        if status == "ACTIVE":
            return
        if status == "ERROR":
            raise RuntimeError(f"server {server} went to ERROR")
        await asyncio.sleep(0.005)


async def single_boots(
    ep: Endpoints, client: httpx.AsyncClient, flavor: str, image: str, count: int
) -> list[float]:
    took = []
    for _ in range(count):
        began = time.perf_counter()
        (server,) = await boot_many(ep, client, flavor, image, 1, width=1)
        await _until_active(ep, client, server)
        took.append((time.perf_counter() - began) * 1000)
    return took


async def _count_active(ep: Endpoints, client: httpx.AsyncClient, ids: set[str]) -> int:
    resp = await client.get(
        f"{ep.compute}/servers/detail", params={"limit": 5000}, headers=ep.headers(COMPUTE)
    )
    return sum(1 for s in resp.json()["servers"] if s["id"] in ids and s["status"] == "ACTIVE")


async def burst(
    ep: Endpoints, client: httpx.AsyncClient, flavor: str, image: str, count: int
) -> float:
    """Boots per second for ``count`` boots at concurrency 50, until all are ACTIVE."""
    began = time.perf_counter()
    ids = set(await boot_many(ep, client, flavor, image, count, width=50))
    active = 0
    while active < count:
        active = await _count_active(ep, client, ids)
        if active < count:
            # Polled only once every create has answered; a fine step keeps the
            # measured end close to the real one.
            await asyncio.sleep(0.2)
    return count / (time.perf_counter() - began)


async def detail_listing(ep: Endpoints, client: httpx.AsyncClient, rounds: int) -> list[float]:
    took = []
    for _ in range(rounds):
        began = time.perf_counter()
        resp = await client.get(
            f"{ep.compute}/servers/detail", params={"limit": 1000}, headers=ep.headers(COMPUTE)
        )
        took.append((time.perf_counter() - began) * 1000)
        assert len(resp.json()["servers"]) == 1000
    return took


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def run(
    ep: Endpoints, single: int, count: int, cpu: Callable[[], float] = lambda: 0.0
) -> str:
    async with httpx.AsyncClient(timeout=300) as client:
        flavor, image = await prepare(ep, client)
        boots = await single_boots(ep, client, flavor, image, single)
        cpu_before = cpu()
        rate = await burst(ep, client, flavor, image, count)
        cpu_per_boot = (cpu() - cpu_before) / count * 1000
        have = single + count
        if have < 1000:
            await boot_many(ep, client, flavor, image, 1000 - have, width=50)
            await asyncio.sleep(5)
        listing = await detail_listing(ep, client, 20)
    return "\n".join(
        [
            "| measure | result | goal |",
            "|---|---|---|",
            f"| API->ACTIVE single boot p50 | {statistics.median(boots):.0f} ms | <= 100 ms |",
            f"| API->ACTIVE single boot p95 | {_pct(boots, 0.95):.0f} ms | |",
            f"| sustained boots/s, concurrency 50 ({count} boots) | {rate:.1f}/s | >= 50/s |",
            f"| cloud CPU per boot in that burst (`up` process) | {cpu_per_boot:.1f} ms | |",
            f"| GET /servers/detail, 1,000 servers, p50 | {statistics.median(listing):.0f} ms "
            "| <= 150 ms |",
            f"| GET /servers/detail, 1,000 servers, p95 | {_pct(listing, 0.95):.0f} ms | |",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--hosts", type=int, default=50)
    parser.add_argument("--single", type=int, default=20)
    parser.add_argument("--burst", type=int, default=500)
    parser.add_argument("--attach", help="data dir of a cloud that is already running")
    parser.add_argument(
        "--apart", action="append", default=[], help="service to run in its own process"
    )
    args = parser.parse_args()
    cloud = None
    if args.attach:
        data_dir = Path(args.attach)
        urls = json.loads((data_dir / "status.json").read_text())["services"]
    else:
        cloud = CloudProcess.start(SERVICES, env=_env(args.hosts), apart=args.apart)
        data_dir = cloud.data_dir
        urls = {name: cloud.url(name) for name in SERVICES}
    try:
        password = (data_dir / "admin-password").read_text().strip()
        ep = Endpoints(
            compute=f"{urls['compute']}/v2.1",
            placement=urls["placement"],
            image=urls["image"],
            token=_token(urls["identity"], password),
        )
        cpu = cloud.cpu_seconds if cloud is not None else (lambda: 0.0)
        print(asyncio.run(run(ep, args.single, args.burst, cpu)))
    finally:
        if cloud is not None:
            cloud.stop()


if __name__ == "__main__":
    main()
