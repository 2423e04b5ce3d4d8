"""Allocations: formats per microversion, capacity checks, generations, concurrency."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from tests.functional.placement.conftest import Placement, error_of


def claim(rp: str, gen: int | None = None, **resources: int) -> dict[str, Any]:
    return {
        "allocations": {rp: {"resources": resources}},
        "project_id": "proj",
        "user_id": "user",
        "consumer_generation": gen,
        "consumer_type": "INSTANCE",
    }


async def test_put_get_delete_allocations(api: Placement) -> None:
    rp = await api.provider(VCPU=4, MEMORY_MB=2048)
    consumer = str(uuid.uuid4())
    resp = await api.call(
        "PUT", f"/allocations/{consumer}", claim(rp["uuid"], VCPU=2, MEMORY_MB=512)
    )
    assert resp.status_code == 204
    body = (await api.call("GET", f"/allocations/{consumer}")).json()
    assert body["allocations"][rp["uuid"]]["resources"] == {"VCPU": 2, "MEMORY_MB": 512}
    assert body["consumer_generation"] == 0 and body["project_id"] == "proj"
    usages = (await api.call("GET", f"/resource_providers/{rp['uuid']}/usages")).json()
    assert usages["usages"] == {"VCPU": 2, "MEMORY_MB": 512}
    project = (
        await api.call("GET", "/usages", params={"project_id": "proj"}, version="1.9")
    ).json()
    assert project == {"usages": {"VCPU": 2, "MEMORY_MB": 512}}
    typed = (await api.call("GET", "/usages", params={"project_id": "proj"})).json()
    assert typed["usages"]["INSTANCE"]["consumer_count"] == 1
    assert (await api.call("DELETE", f"/allocations/{consumer}")).status_code == 204
    assert (await api.call("DELETE", f"/allocations/{consumer}")).status_code == 404


async def test_legacy_list_format(api: Placement) -> None:
    rp = await api.provider(VCPU=4)
    consumer = str(uuid.uuid4())
    body = {
        "allocations": [{"resource_provider": {"uuid": rp["uuid"]}, "resources": {"VCPU": 1}}],
        "project_id": "p",
        "user_id": "u",
    }
    resp = await api.call("PUT", f"/allocations/{consumer}", body, version="1.8")
    assert resp.status_code == 204
    shown = (await api.call("GET", f"/allocations/{consumer}", version="1.8")).json()
    assert shown == {"allocations": {rp["uuid"]: {"generation": 2, "resources": {"VCPU": 1}}}}


async def test_capacity_exceeded_is_409(api: Placement) -> None:
    rp = await api.provider(VCPU=2)
    resp = await api.call("PUT", f"/allocations/{uuid.uuid4()}", claim(rp["uuid"], VCPU=3))
    assert resp.status_code == 409
    assert "exceed the capacity" in error_of(resp)["detail"]


async def test_unit_constraints_are_409(api: Placement) -> None:
    rp = await api.provider()
    await api.set_inventory(rp, {"VCPU": {"total": 16, "max_unit": 4, "step_size": 2}})
    resp = await api.call("PUT", f"/allocations/{uuid.uuid4()}", claim(rp["uuid"], VCPU=8))
    assert resp.status_code == 409 and "max_unit" in error_of(resp)["detail"]
    resp = await api.call("PUT", f"/allocations/{uuid.uuid4()}", claim(rp["uuid"], VCPU=3))
    assert resp.status_code == 409 and "step_size" in error_of(resp)["detail"]


async def test_allocation_ratio_and_reserved_count(api: Placement) -> None:
    rp = await api.provider()
    await api.set_inventory(rp, {"VCPU": {"total": 4, "reserved": 1, "allocation_ratio": 2.0}})
    ok = await api.call("PUT", f"/allocations/{uuid.uuid4()}", claim(rp["uuid"], VCPU=6))
    assert ok.status_code == 204
    over = await api.call("PUT", f"/allocations/{uuid.uuid4()}", claim(rp["uuid"], VCPU=1))
    assert over.status_code == 409


async def test_consumer_generation_conflict(api: Placement) -> None:
    rp = await api.provider(VCPU=8)
    consumer = str(uuid.uuid4())
    assert (
        await api.call("PUT", f"/allocations/{consumer}", claim(rp["uuid"], None, VCPU=1))
    ).status_code == 204
    stale = await api.call("PUT", f"/allocations/{consumer}", claim(rp["uuid"], None, VCPU=2))
    assert stale.status_code == 409
    assert error_of(stale)["code"] == "placement.concurrent_update"
    fresh = await api.call("PUT", f"/allocations/{consumer}", claim(rp["uuid"], 0, VCPU=2))
    assert fresh.status_code == 204


async def test_bad_allocation_bodies(api: Placement) -> None:
    rp = await api.provider(VCPU=8)
    path = f"/allocations/{uuid.uuid4()}"
    resp = await api.call("PUT", path, claim(rp["uuid"], VCPU=0))
    assert resp.status_code == 400 and "VCPU" in error_of(resp)["detail"]
    missing = claim(rp["uuid"], VCPU=1)
    del missing["consumer_generation"]
    resp = await api.call("PUT", path, missing)
    assert resp.status_code == 400 and "consumer_generation" in error_of(resp)["detail"]
    resp = await api.call("PUT", path, claim(str(uuid.uuid4()), VCPU=1))
    assert resp.status_code == 400 and "does not exist" in error_of(resp)["detail"]
    resp = await api.call("PUT", "/allocations/not-a-uuid", claim(rp["uuid"], VCPU=1))
    assert resp.status_code == 400 and "consumer_uuid" in error_of(resp)["detail"]


async def test_post_allocations_moves_between_consumers(api: Placement) -> None:
    rp = await api.provider(VCPU=4)
    instance, migration = str(uuid.uuid4()), str(uuid.uuid4())
    await api.call("PUT", f"/allocations/{instance}", claim(rp["uuid"], VCPU=4))
    body = {
        instance: {**claim(rp["uuid"], 0), "allocations": {}},
        migration: claim(rp["uuid"], None, VCPU=4),
    }
    assert (await api.call("POST", "/allocations", body)).status_code == 204
    found = (await api.call("GET", f"/resource_providers/{rp['uuid']}/allocations")).json()
    assert list(found["allocations"]) == [migration]


async def test_concurrent_claims_never_overcommit(api: Placement) -> None:
    rp = await api.provider(VCPU=5)

    async def one() -> int:
        body = claim(rp["uuid"], VCPU=1)
        return (await api.call("PUT", f"/allocations/{uuid.uuid4()}", body)).status_code

    statuses = await asyncio.gather(*(one() for _ in range(25)))
    assert statuses.count(204) == 5
    assert set(statuses) <= {204, 409}
    usages = (await api.call("GET", f"/resource_providers/{rp['uuid']}/usages")).json()
    assert usages["usages"]["VCPU"] == 5
