"""GET /allocation_candidates: capacity, traits, aggregates, trees, groups, formats."""

from __future__ import annotations

import uuid
from typing import Any

from tests.functional.placement.conftest import CANDIDATES_LOOP_WATCH, Placement, error_of

Q = {"resources": "VCPU:1,MEMORY_MB:512"}

pytestmark = CANDIDATES_LOOP_WATCH


async def candidates(api: Placement, version: str = "latest", **params: str) -> dict[str, Any]:
    resp = await api.call("GET", "/allocation_candidates", params=params, version=version)
    assert resp.status_code == 200, resp.text
    body: dict[str, Any] = resp.json()
    return body


def providers_of(body: dict[str, Any]) -> set[str]:
    return {rp for req in body["allocation_requests"] for rp in req["allocations"]}


async def test_capacity_filters_and_summaries(api: Placement) -> None:
    big = await api.provider(VCPU=8, MEMORY_MB=4096)
    await api.provider(VCPU=8, MEMORY_MB=256)
    body = await candidates(api, **Q)
    assert providers_of(body) == {big["uuid"]}
    req = body["allocation_requests"][0]
    assert req["allocations"][big["uuid"]]["resources"] == {"VCPU": 1, "MEMORY_MB": 512}
    assert req["mappings"] == {"": [big["uuid"]]}
    summary = body["provider_summaries"][big["uuid"]]
    assert summary["resources"]["VCPU"] == {"capacity": 8, "used": 0}
    assert summary["root_provider_uuid"] == big["uuid"]


async def test_old_format_is_a_list(api: Placement) -> None:
    rp = await api.provider(VCPU=8, MEMORY_MB=4096)
    body = await candidates(api, version="1.10", **Q)
    assert body["allocation_requests"][0]["allocations"][0]["resource_provider"] == {
        "uuid": rp["uuid"]
    }
    assert "traits" not in body["provider_summaries"][rp["uuid"]]


async def test_required_and_forbidden_traits(api: Placement) -> None:
    ssd = await api.provider(VCPU=8, MEMORY_MB=4096)
    hdd = await api.provider(VCPU=8, MEMORY_MB=4096)
    await api.put_traits(ssd, ["STORAGE_DISK_SSD"])
    await api.put_traits(hdd, ["STORAGE_DISK_HDD"])
    assert providers_of(await candidates(api, required="STORAGE_DISK_SSD", **Q)) == {ssd["uuid"]}
    assert providers_of(await candidates(api, required="!STORAGE_DISK_SSD", **Q)) == {hdd["uuid"]}
    both = await candidates(api, required="in:STORAGE_DISK_SSD,STORAGE_DISK_HDD", **Q)
    assert providers_of(both) == {ssd["uuid"], hdd["uuid"]}


async def test_member_of_and_forbidden_aggregates(api: Placement) -> None:
    inside = await api.provider(VCPU=8, MEMORY_MB=4096)
    outside = await api.provider(VCPU=8, MEMORY_MB=4096)
    agg = str(uuid.uuid4())
    path = f"/resource_providers/{inside['uuid']}/aggregates"
    await api.call(
        "PUT", path, {"aggregates": [agg], "resource_provider_generation": inside["generation"]}
    )
    assert providers_of(await candidates(api, member_of=agg, **Q)) == {inside["uuid"]}
    assert providers_of(await candidates(api, member_of=f"!{agg}", **Q)) == {outside["uuid"]}


async def test_nested_tree_and_in_tree(api: Placement) -> None:
    host = await api.provider(VCPU=8, MEMORY_MB=4096)
    child = await api.call(
        "POST", "/resource_providers", {"name": "gpu", "parent_provider_uuid": host["uuid"]}
    )
    gpu = child.json()
    await api.set_inventory(gpu, {"VGPU": {"total": 2}})
    await api.provider(VCPU=8, MEMORY_MB=4096)
    body = await candidates(api, resources="VCPU:1,VGPU:1")
    assert len(body["allocation_requests"]) == 1
    allocs = body["allocation_requests"][0]["allocations"]
    assert allocs[gpu["uuid"]]["resources"] == {"VGPU": 1}
    assert allocs[host["uuid"]]["resources"] == {"VCPU": 1}
    assert body["provider_summaries"][gpu["uuid"]]["parent_provider_uuid"] == host["uuid"]
    scoped = await candidates(api, in_tree=gpu["uuid"], **Q)
    assert providers_of(scoped) == {host["uuid"]}


async def test_granular_groups_isolate(api: Placement) -> None:
    host = await api.provider()
    for name in ("pf1", "pf2"):
        resp = await api.call(
            "POST", "/resource_providers", {"name": name, "parent_provider_uuid": host["uuid"]}
        )
        await api.set_inventory(resp.json(), {"SRIOV_NET_VF": {"total": 4}})
    params = {"resources1": "SRIOV_NET_VF:1", "resources2": "SRIOV_NET_VF:1"}
    isolated = await candidates(api, group_policy="isolate", **params)
    # Requests that allocate the same amounts from the same providers are shown once.
    [only] = isolated["allocation_requests"]
    assert only["mappings"]["1"] != only["mappings"]["2"]
    shared = await candidates(api, group_policy="none", **params)
    amounts = sorted(
        sorted(v["resources"]["SRIOV_NET_VF"] for v in req["allocations"].values())
        for req in shared["allocation_requests"]
    )
    assert amounts == [[1, 1], [2], [2]]
    resp = await api.call("GET", "/allocation_candidates", params=params)
    assert resp.status_code == 400 and "group_policy" in error_of(resp)["detail"]


async def test_limit_and_used_capacity(api: Placement) -> None:
    for _ in range(5):
        await api.provider(VCPU=2, MEMORY_MB=1024)
    assert len((await candidates(api, limit="3", **Q))["allocation_requests"]) == 3
    body = await candidates(api, resources="VCPU:2")
    full = next(iter(providers_of(body)))
    claim = {
        "allocations": {full: {"resources": {"VCPU": 2}}},
        "project_id": "p",
        "user_id": "u",
        "consumer_generation": None,
        "consumer_type": "INSTANCE",
    }
    assert (await api.call("PUT", f"/allocations/{uuid.uuid4()}", claim)).status_code == 204
    assert full not in providers_of(await candidates(api, resources="VCPU:2"))


async def test_bad_candidate_queries(api: Placement) -> None:
    cases = {
        "resources=VCPU": "resources",
        "resources=VCPU:0": "resources",
        "resources=CUSTOM_NOPE:1": "CUSTOM_NOPE",
        "resources=VCPU:1&required=NOT_A_TRAIT": "NOT_A_TRAIT",
        "resources=VCPU:1&limit=-1": "limit",
        "resources=VCPU:1&bogus=1": "bogus",
        "required=HW_CPU_X86_AVX": "resources",
    }
    for query, word in cases.items():
        resp = await api.call("GET", f"/allocation_candidates?{query}")
        assert resp.status_code == 400, query
        assert word in error_of(resp)["detail"], (query, error_of(resp)["detail"])
    resp = await api.call("GET", "/allocation_candidates?resources=VCPU:1", version="1.9")
    assert resp.status_code == 404
