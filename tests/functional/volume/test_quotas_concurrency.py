"""Quotas (limits, usage, per type) and every read-then-write path under concurrent
requests: exactly as many requests win as the rules allow, usage equals what exists."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import func, select

from nimbostack.volume.db.models import Volume
from tests.functional.volume.conftest import SQLITE_AND_POSTGRES, VolumeCloud, fault

pytestmark = SQLITE_AND_POSTGRES


async def _rows(cloud: VolumeCloud, project: str = "project-a") -> int:
    async with cloud.state.db.reader() as s:
        return int(await s.scalar(select(func.count()).where(Volume.project_id == project)) or 0)


async def test_quota_show_update_defaults_and_per_type(cloud: VolumeCloud) -> None:
    shown = (await cloud.ok("GET", "/v3/os-quota-sets/project-a"))["quota_set"]
    assert shown["id"] == "project-a" and shown["volumes"] == 10
    assert shown["volumes___DEFAULT__"] == -1 and shown["per_volume_gigabytes"] == -1
    member = await cloud.call("PUT", "/v3/os-quota-sets/project-a", {"quota_set": {"volumes": 1}})
    assert fault(member)[1] == 403
    bad = await cloud.call(
        "PUT", "/v3/os-quota-sets/project-a", {"quota_set": {"vms": 1}}, token="admin"
    )
    assert fault(bad)[1] == 400 and "vms" in fault(bad)[2]
    await cloud.ok(
        "PUT",
        "/v3/os-quota-sets/project-a",
        {"quota_set": {"volumes___DEFAULT__": 1}},
        token="admin",
    )
    await cloud.available_volume()
    over = await cloud.call("POST", "/v3/volumes", {"volume": {"size": 1}})
    assert fault(over)[1] == 413 and "volumes___DEFAULT__" in fault(over)[2]
    defaults = (await cloud.ok("GET", "/v3/os-quota-sets/project-a/defaults"))["quota_set"]
    assert defaults["volumes"] == 10
    await cloud.ok("DELETE", "/v3/os-quota-sets/project-a", token="admin")
    assert (await cloud.call("POST", "/v3/volumes", {"volume": {"size": 1}})).status_code == 202


async def test_per_volume_size_limit(cloud: VolumeCloud) -> None:
    await cloud.ok(
        "PUT",
        "/v3/os-quota-sets/project-a",
        {"quota_set": {"per_volume_gigabytes": 2}},
        token="admin",
    )
    resp = await cloud.call("POST", "/v3/volumes", {"volume": {"size": 3}})
    assert fault(resp)[1] == 413 and "maximum allowed limit 2G" in fault(resp)[2]


async def test_concurrent_creates_never_pass_the_quota(cloud: VolumeCloud) -> None:
    await cloud.ok(
        "PUT", "/v3/os-quota-sets/project-a", {"quota_set": {"volumes": 3}}, token="admin"
    )
    codes = await asyncio.gather(
        *(cloud.call("POST", "/v3/volumes", {"volume": {"size": 1}}) for _ in range(10))
    )
    assert sorted(r.status_code for r in codes) == [202] * 3 + [413] * 7
    assert await _rows(cloud) == 3
    usage = await cloud.ok("GET", "/v3/os-quota-sets/project-a", params={"usage": "true"})
    assert usage["quota_set"]["volumes"] == {"limit": 3, "in_use": 3, "reserved": 0}


async def test_concurrent_deletes_exactly_one_wins(cloud: VolumeCloud) -> None:
    vol = await cloud.available_volume()
    codes = await asyncio.gather(
        *(cloud.call("DELETE", f"/v3/volumes/{vol['id']}") for _ in range(6))
    )
    # The losers see it deleting (400), or already gone (404) if the manager was quick.
    codes_seen = sorted(r.status_code for r in codes)
    assert codes_seen[0] == 202 and all(c in (400, 404) for c in codes_seen[1:])


async def test_concurrent_extends_exactly_one_wins(cloud: VolumeCloud) -> None:
    vol = await cloud.available_volume(size=1)
    backend = cloud.service.managers[0].host.backend  # type: ignore[union-attr]
    release = asyncio.Event()
    extend = backend.extend

    async def held_extend(*args: Any, **kwargs: Any) -> Any:
        await release.wait()  # the winner's extend stays in progress while others try
        return await extend(*args, **kwargs)

    backend.extend = held_extend  # type: ignore[method-assign]
    path = f"/v3/volumes/{vol['id']}/action"
    codes = await asyncio.gather(
        *(cloud.call("POST", path, {"os-extend": {"new_size": 2 + i}}) for i in range(5))
    )
    assert sorted(r.status_code for r in codes) == [202] + [400] * 4
    release.set()
    done = await cloud.wait_volume(vol["id"], "available")
    assert done["size"] in range(2, 7)
    usage = await cloud.ok("GET", "/v3/os-quota-sets/project-a", params={"usage": "true"})
    assert usage["quota_set"]["gigabytes"]["in_use"] == done["size"]


async def test_concurrent_snapshot_and_delete(cloud: VolumeCloud) -> None:
    """A snapshot and a delete race: never both (a deleted volume with a snapshot)."""
    for _ in range(3):
        vol = await cloud.available_volume()
        snap, delete = await asyncio.gather(
            cloud.call("POST", "/v3/snapshots", {"snapshot": {"volume_id": vol["id"]}}),
            cloud.call("DELETE", f"/v3/volumes/{vol['id']}"),
        )
        assert sorted([snap.status_code, delete.status_code]) == [202, 400]


async def test_failed_creates_leave_usage_equal_to_what_exists(cloud: VolumeCloud) -> None:
    """Creates the scheduler cannot place end in error; usage counts exactly the rows."""
    body = {"volume_type": {"name": "nowhere", "extra_specs": {"volume_backend_name": "x"}}}
    await cloud.ok("POST", "/v3/types", body, token="admin")
    made = [await cloud.create_volume(volume_type="nowhere") for _ in range(5)]
    for vol in made:
        assert (await cloud.wait_volume(vol["id"], "error", "available"))["status"] == "error"
    usage = await cloud.ok("GET", "/v3/os-quota-sets/project-a", params={"usage": "true"})
    assert usage["quota_set"]["volumes"]["in_use"] == await _rows(cloud) == 5
    for vol in made:
        assert (await cloud.call("DELETE", f"/v3/volumes/{vol['id']}")).status_code == 202
    usage = await cloud.ok("GET", "/v3/os-quota-sets/project-a", params={"usage": "true"})
    assert usage["quota_set"]["volumes"]["in_use"] == await _rows(cloud) == 0
    messages = await cloud.ok("GET", "/v3/messages")
    assert len(messages["messages"]) == 5
    assert messages["messages"][0]["user_message"] == (
        "schedule allocate volume:Could not find any available weighted backend."
    )


async def test_concurrent_type_creates_one_name(cloud: VolumeCloud) -> None:
    body = {"volume_type": {"name": "twin"}}
    codes = await asyncio.gather(
        *(cloud.call("POST", "/v3/types", body, token="admin") for _ in range(5))
    )
    assert sorted(r.status_code for r in codes) == [200] + [409] * 4


async def test_concurrent_metadata_writes_of_one_key(cloud: VolumeCloud) -> None:
    vol = await cloud.available_volume()
    path = f"/v3/volumes/{vol['id']}/metadata"
    codes = await asyncio.gather(
        *(cloud.call("POST", path, {"metadata": {"k": str(i)}}) for i in range(6))
    )
    assert [r.status_code for r in codes] == [200] * 6
    final = (await cloud.ok("GET", path))["metadata"]
    assert set(final) == {"k"} and final["k"] in {str(i) for i in range(6)}


async def test_concurrent_accepts_of_one_transfer(cloud: VolumeCloud) -> None:
    vol = await cloud.available_volume()
    offer = (
        await cloud.ok("POST", "/v3/os-volume-transfer", {"transfer": {"volume_id": vol["id"]}})
    )["transfer"]
    accept = {"accept": {"auth_key": offer["auth_key"]}}
    url = f"/v3/os-volume-transfer/{offer['id']}/accept"
    codes = await asyncio.gather(
        cloud.call("POST", url, accept, token="other"),
        cloud.call("POST", url, accept, token="admin"),
    )
    assert sorted(r.status_code for r in codes) == [202, 404]
