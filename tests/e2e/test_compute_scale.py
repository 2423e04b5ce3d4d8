"""Scale: 500 servers requested at once across 50 simulated hosts, then all deleted.

Placement must account for every one exactly (usages == the sum of the flavors), no
provider may go beyond total x allocation ratio, and deleting everything must leave no
allocation behind.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.cloud import RunningCloud

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]
SERVERS = 500
HOSTS = 50
FLAVOR = {"vcpus": 1, "ram": 512, "disk": 1}
PLACEMENT = {"OpenStack-API-Version": "placement 1.36"}
COMPUTE = {"OpenStack-API-Version": "compute 2.79"}


def scale_env() -> dict[str, str]:
    return {
        "NIMBOSTACK_COMPUTE_AGENT__FAKE_HOSTS": str(HOSTS),
        "NIMBOSTACK_COMPUTE_AGENT__DRIVER": "fake",
        "NIMBOSTACK_COMPUTE__QUOTA_INSTANCES": "-1",
        "NIMBOSTACK_COMPUTE__QUOTA_CORES": "-1",
        "NIMBOSTACK_COMPUTE__QUOTA_RAM": "-1",
        "NIMBOSTACK_IMAGE__GUEST_IMAGE": "false",
    }


@pytest.fixture(scope="module")
def scale_cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningCloud]:
    data_dir: Path = tmp_path_factory.mktemp("scale")
    running = RunningCloud.start(data_dir, scale_env())
    yield running
    running.stop()


@dataclass
class Endpoints:
    compute: str
    placement: str
    image: str
    token: str

    def headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        return {"X-Auth-Token": self.token, **(extra or {})}


async def prepare(ep: Endpoints, client: httpx.AsyncClient) -> tuple[str, str]:
    """A public flavor and a tiny image to boot from."""
    name = f"scale-{uuid.uuid4().hex[:6]}"
    flavor = await client.post(
        f"{ep.compute}/flavors",
        json={"flavor": {"name": name, **FLAVOR}},
        headers=ep.headers(COMPUTE),
    )
    assert flavor.status_code == 200, flavor.text
    image = await client.post(
        f"{ep.image}/v2/images",
        json={
            "name": name,
            "disk_format": "raw",
            "container_format": "bare",
            "visibility": "public",
        },
        headers=ep.headers(),
    )
    assert image.status_code == 201, image.text
    image_id = image.json()["id"]
    upload = await client.put(
        f"{ep.image}/v2/images/{image_id}/file",
        content=b"\0" * 4096,
        headers=ep.headers({"Content-Type": "application/octet-stream"}),
    )
    assert upload.status_code == 204, upload.text
    return flavor.json()["flavor"]["id"], image_id


async def boot_many(
    ep: Endpoints, client: httpx.AsyncClient, flavor: str, image: str, count: int, *, width: int
) -> list[str]:
    gate = asyncio.Semaphore(width)

    async def one(n: int) -> str:
        body = {
            "server": {"name": f"s{n}", "flavorRef": flavor, "imageRef": image, "networks": "none"}
        }
        async with gate:
            resp = await client.post(
                f"{ep.compute}/servers", json=body, headers=ep.headers(COMPUTE)
            )
        assert resp.status_code == 202, resp.text
        return str(resp.json()["server"]["id"])

    return list(await asyncio.gather(*(one(n) for n in range(count))))


async def statuses(ep: Endpoints, client: httpx.AsyncClient) -> dict[str, str]:
    resp = await client.get(
        f"{ep.compute}/servers/detail", params={"limit": 5000}, headers=ep.headers(COMPUTE)
    )
    assert resp.status_code == 200, resp.text
    return {s["id"]: s["status"] for s in resp.json()["servers"]}


async def wait_all(
    ep: Endpoints, client: httpx.AsyncClient, ids: list[str], want: str, timeout: float
) -> dict[str, str]:
    deadline = time.monotonic() + timeout
    while True:
        found = await statuses(ep, client)
        current = {i: found.get(i, "DELETED") for i in ids}
        if all(s == want for s in current.values()) or time.monotonic() > deadline:
            return current
        await asyncio.sleep(2.0)


async def provider_usages(ep: Endpoints, client: httpx.AsyncClient) -> list[dict[str, Any]]:
    """Each provider's usages and inventory."""
    rps = await client.get(f"{ep.placement}/resource_providers", headers=ep.headers(PLACEMENT))
    found = []
    for rp in rps.json()["resource_providers"]:
        base = f"{ep.placement}/resource_providers/{rp['uuid']}"
        usages = (await client.get(f"{base}/usages", headers=ep.headers(PLACEMENT))).json()
        inv = (await client.get(f"{base}/inventories", headers=ep.headers(PLACEMENT))).json()
        found.append({"usages": usages["usages"], "inventories": inv["inventories"]})
    return found


def check_capacity(providers: list[dict[str, Any]]) -> None:
    for rp in providers:
        for rc, used in rp["usages"].items():
            inv = rp["inventories"][rc]
            assert used <= (inv["total"] - inv["reserved"]) * inv["allocation_ratio"]


async def run_scale(ep: Endpoints) -> None:
    async with httpx.AsyncClient(timeout=120) as client:
        flavor, image = await prepare(ep, client)
        ids = await boot_many(ep, client, flavor, image, SERVERS, width=50)
        final = await wait_all(ep, client, ids, "ACTIVE", 600)
        assert sorted(set(final.values())) == ["ACTIVE"], {
            s: list(final.values()).count(s) for s in set(final.values())
        }
        providers = await provider_usages(ep, client)
        assert len(providers) >= HOSTS
        totals = {"VCPU": 0, "MEMORY_MB": 0, "DISK_GB": 0}
        for rp in providers:
            for rc in totals:
                totals[rc] += rp["usages"].get(rc, 0)
        assert totals == {
            "VCPU": SERVERS * FLAVOR["vcpus"],
            "MEMORY_MB": SERVERS * FLAVOR["ram"],
            "DISK_GB": SERVERS * FLAVOR["disk"],
        }
        check_capacity(providers)
        gate = asyncio.Semaphore(50)

        async def delete(server: str) -> None:
            async with gate:
                resp = await client.delete(
                    f"{ep.compute}/servers/{server}", headers=ep.headers(COMPUTE)
                )
            assert resp.status_code == 204, resp.text

        await asyncio.gather(*(delete(s) for s in ids))
        gone = await wait_all(ep, client, ids, "DELETED", 300)
        assert set(gone.values()) == {"DELETED"}
        deadline = time.monotonic() + 60
        while True:
            left = sum(sum(rp["usages"].values()) for rp in await provider_usages(ep, client))
            if left == 0 or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.5)
        assert left == 0
        for server in ids[:50]:
            allocs = await client.get(
                f"{ep.placement}/allocations/{server}", headers=ep.headers(PLACEMENT)
            )
            assert allocs.json()["allocations"] == {}


def test_500_servers_on_50_hosts(scale_cloud: RunningCloud) -> None:
    ep = Endpoints(
        compute=f"{scale_cloud.url('compute')}/v2.1",
        placement=scale_cloud.url("placement"),
        image=scale_cloud.url("image"),
        token=scale_cloud.admin_token(),
    )
    asyncio.run(run_scale(ep))
