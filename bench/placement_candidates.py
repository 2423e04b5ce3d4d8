"""Benchmark: GET /allocation_candidates over 10,000 resource providers.

Builds placement's real app on a fresh SQLite database, bulk-loads N compute-node
providers (VCPU, MEMORY_MB, DISK_GB inventories, some usage) straight into its tables,
then times the request in-process and prints a markdown table of p50/p95.

Usage: .venv/bin/python bench/placement_candidates.py [--providers 10000] [--requests 30]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import httpx
from sqlalchemy import insert, select

from nimbostack.core.auth.policy import Enforcer
from nimbostack.core.auth.tokens import TokenInfo
from nimbostack.core.config import load
from nimbostack.core.db import Database
from nimbostack.core.db.engine import sqlite_url
from nimbostack.core.db.migrate import upgrade
from nimbostack.core.service import api_app
from nimbostack.placement import policies
from nimbostack.placement.db.models import (
    Allocation,
    Base,
    Inventory,
    ResourceClass,
    ResourceProvider,
)
from nimbostack.placement.objects import names
from nimbostack.placement.service import API, MIGRATIONS
from nimbostack.placement.state import PlacementState


class AdminTokens:
    async def validate(self, token: str) -> TokenInfo:
        return TokenInfo("bench", "bench", "default", time.time() + 3600, ("admin",))


async def populate(db: Database, count: int) -> None:
    now = time.time()
    async with db.session() as s:
        rcs = dict((await s.execute(select(ResourceClass.name, ResourceClass.id))).all())
        rps = [
            {
                "id": i,
                "uuid": str(uuid.uuid4()),
                "name": f"cn{i}",
                "generation": 1,
                "root_provider_id": i,
                "created_at": now,
                "updated_at": now,
            }
            for i in range(1, count + 1)
        ]
        await s.execute(insert(ResourceProvider), rps)
        inv = [
            {
                "resource_provider_id": i,
                "resource_class_id": rcs[rc],
                "total": total,
                "reserved": 0,
                "min_unit": 1,
                "max_unit": total,
                "step_size": 1,
                "allocation_ratio": ratio,
            }
            for i in range(1, count + 1)
            for rc, total, ratio in (
                ("VCPU", 64, 4.0),
                ("MEMORY_MB", 262144, 1.0),
                ("DISK_GB", 2048, 1.0),
            )
        ]
        await s.execute(insert(Inventory), inv)
        # Every third node already runs a few instances.
        allocs = [
            {
                "resource_provider_id": i,
                "consumer_id": str(uuid.uuid4()),
                "resource_class_id": rcs[rc],
                "used": used,
                "created_at": now,
            }
            for i in range(1, count + 1, 3)
            for rc, used in (("VCPU", 8), ("MEMORY_MB", 16384), ("DISK_GB", 80))
        ]
        await s.execute(insert(Allocation), allocs)


async def run(count: int, requests: int, limits: list[int | None]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = sqlite_url(Path(tmp) / "placement.sqlite")
        await asyncio.to_thread(upgrade, url, MIGRATIONS, Base.metadata)
        db = Database(url)
        await names.ensure_standard(db)
        started = time.perf_counter()
        await populate(db, count)
        print(f"loaded {count} providers in {time.perf_counter() - started:.1f}s\n")
        enforcer = Enforcer(policies.rules())
        state = PlacementState(load(None, environ={}), db, enforcer, "http://bench")
        app = api_app(API, state, validator=AdminTokens(), enforcer=enforcer)
        transport = httpx.ASGITransport(app=app)
        print("| limit | requests | candidates | p50 ms | p95 ms | max ms |")
        print("|---|---|---|---|---|---|")
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            for limit in limits:
                await measure(client, requests, limit)
        await db.close()


async def measure(client: httpx.AsyncClient, requests: int, limit: int | None) -> None:
    params = {"resources": "VCPU:1,MEMORY_MB:512,DISK_GB:1"}
    if limit is not None:
        params["limit"] = str(limit)
    headers = {"X-Auth-Token": "bench", "OpenStack-API-Version": "placement 1.36"}
    times, found = [], 0
    for _ in range(requests + 2):
        t0 = time.perf_counter()
        resp = await client.get("/allocation_candidates", params=params, headers=headers)
        times.append((time.perf_counter() - t0) * 1000)
        assert resp.status_code == 200, resp.text
        found = len(resp.json()["allocation_requests"])
    times = sorted(times[2:])  # the first two warm caches
    p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
    print(
        f"| {limit or 'none'} | {requests} | {found} | {statistics.median(times):.1f} | "
        f"{p95:.1f} | {times[-1]:.1f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--providers", type=int, default=10000)
    parser.add_argument("--requests", type=int, default=30)
    args = parser.parse_args()
    asyncio.run(run(args.providers, args.requests, [1, 10, 100, 1000, None]))


if __name__ == "__main__":
    main()
