"""Numbers and lists a client sends placement are bounded, and answered without blocking.

The loop watch (tests/functional/conftest.py) times every request here: the largest
value each bound accepts must not hold the event loop (candidates queries compile
once per shape, which their tests allow for).
"""

from __future__ import annotations

import uuid
from typing import Any

from nimbostack.placement.api.aggregates import MAX_AGGREGATES
from nimbostack.placement.api.params import MAX_AMOUNT, MAX_CLAUSES, MAX_GROUPS
from nimbostack.placement.api.traits import MAX_PROVIDER_TRAITS
from tests.functional.placement.conftest import CANDIDATES_LOOP_WATCH, Placement, api, error_of

__all__ = ["api"]


async def candidates(api: Placement, **params: str) -> Any:
    return await api.call("GET", "/allocation_candidates", params=params)


@CANDIDATES_LOOP_WATCH
async def test_candidate_limits_are_cut_or_refused(api: Placement) -> None:
    await api.provider(VCPU=8)
    for limit in (str(2**63 - 1), "5"):
        resp = await candidates(api, resources="VCPU:1", limit=limit)
        assert resp.status_code == 200, resp.text
        assert len(resp.json()["allocation_requests"]) == 1
    for limit in ("9" * 30, "9" * 5000, "²", "0", "-1", "x"):
        resp = await candidates(api, resources="VCPU:1", limit=limit)
        assert resp.status_code == 400, (limit, resp.text)
        assert "limit must be a positive integer" in error_of(resp)["detail"]


@CANDIDATES_LOOP_WATCH
async def test_amounts_beyond_an_sql_integer_are_refused(api: Placement) -> None:
    await api.provider(VCPU=8)
    for path in ("/allocation_candidates", "/resource_providers"):
        for amount in (str(MAX_AMOUNT + 1), "9" * 30, "9" * 5000):
            resp = await api.call("GET", path, params={"resources": f"VCPU:{amount}"})
            assert resp.status_code == 400, (path, amount[:20], resp.text)
            assert f"at most {MAX_AMOUNT}" in error_of(resp)["detail"]
        resp = await api.call("GET", path, params={"resources": f"VCPU:{MAX_AMOUNT}"})
        assert resp.status_code == 200, resp.text
    consumer = str(uuid.uuid4())
    rp = await api.provider(VCPU=8)
    body = {
        "allocations": {rp["uuid"]: {"resources": {"VCPU": MAX_AMOUNT + 1}}},
        "project_id": "p",
        "user_id": "u",
        "consumer_generation": None,
        "consumer_type": "INSTANCE",
    }
    resp = await api.call("PUT", f"/allocations/{consumer}", body)
    assert resp.status_code == 400, resp.text


@CANDIDATES_LOOP_WATCH
async def test_request_groups_are_bounded(api: Placement) -> None:
    await api.provider(VCPU=64)
    most = {f"resources{n}": "VCPU:1" for n in range(MAX_GROUPS)}
    resp = await candidates(api, group_policy="none", **most)
    assert resp.status_code == 200, resp.text
    assert len(resp.json()["allocation_requests"]) == 1
    resp = await candidates(api, group_policy="none", resources99="VCPU:1", **most)
    assert resp.status_code == 400
    assert f"at most {MAX_GROUPS} suffixed groups" in error_of(resp)["detail"]


@CANDIDATES_LOOP_WATCH
async def test_trait_and_aggregate_clauses_are_bounded(api: Placement) -> None:
    names = [f"CUSTOM_LIMIT_{n}" for n in range(MAX_CLAUSES + 1)]
    for name in names:
        assert (await api.call("PUT", f"/traits/{name}")).status_code == 201
    rp = await api.provider(VCPU=8)
    await api.put_traits(rp, names[:MAX_CLAUSES])
    for path in ("/allocation_candidates", "/resource_providers"):
        params = {"resources": "VCPU:1", "required": ",".join(names[:MAX_CLAUSES])}
        resp = await api.call("GET", path, params=params)
        assert resp.status_code == 200, resp.text
        params["required"] = ",".join(names)
        resp = await api.call("GET", path, params=params)
        assert resp.status_code == 400, resp.text
        assert "Too many required traits" in error_of(resp)["detail"]
        member_of = [f"in:{uuid.uuid4()}" for _ in range(MAX_CLAUSES + 1)]
        resp = await api.call("GET", path, params={"resources": "VCPU:1", "member_of": member_of})
        assert resp.status_code == 400, resp.text
        assert "Too many member_of filters" in error_of(resp)["detail"]


async def test_provider_aggregate_and_trait_lists_are_bounded(api: Placement) -> None:
    rp = await api.provider(VCPU=8)
    path = f"/resource_providers/{rp['uuid']}"
    for count, status in ((MAX_AGGREGATES + 1, 400), (MAX_AGGREGATES, 200)):
        generation = (await api.call("GET", path)).json()["generation"]
        body = {
            "aggregates": [str(uuid.uuid4()) for _ in range(count)],
            "resource_provider_generation": generation,
        }
        resp = await api.call("PUT", f"{path}/aggregates", body)
        assert resp.status_code == status, resp.text
    assert len((await api.call("GET", f"{path}/aggregates")).json()["aggregates"]) == count
    names = [f"CUSTOM_MANY_{n}" for n in range(MAX_PROVIDER_TRAITS + 1)]
    generation = (await api.call("GET", path)).json()["generation"]
    body = {"traits": names, "resource_provider_generation": generation}
    resp = await api.call("PUT", f"{path}/traits", body)
    assert resp.status_code == 400, resp.text


async def test_many_consumers_in_one_post_do_not_hold_the_loop(api: Placement) -> None:
    rp = await api.provider(VCPU=1000)
    body = {
        str(uuid.uuid4()): {
            "allocations": {rp["uuid"]: {"resources": {"VCPU": 1}}},
            "project_id": "p",
            "user_id": "u",
            "consumer_generation": None,
            "consumer_type": "INSTANCE",
        }
        for _ in range(400)
    }
    resp = await api.call("POST", "/allocations", body)
    assert resp.status_code == 204, resp.text
    usages = await api.call("GET", f"/resource_providers/{rp['uuid']}/usages")
    assert usages.json()["usages"]["VCPU"] == 400
