"""Volumes: create, list (filters, sorting, paging, counts), show per microversion,
update, metadata, delete, and the requests that must be refused."""

from __future__ import annotations

import pytest

from nimbostack.volume.db.models import Volume
from tests.functional.volume.conftest import VolumeCloud, fault

MISSING = "00000000-0000-0000-0000-000000000000"


async def _count_rows(cloud: VolumeCloud) -> int:
    from sqlalchemy import func, select

    async with cloud.state.db.reader() as s:
        return int(await s.scalar(select(func.count()).select_from(Volume)) or 0)


async def test_detail_fields_follow_the_microversion(cloud: VolumeCloud) -> None:
    made = await cloud.available_volume(size=1, name="v", metadata={"a": "1"})
    old = (await cloud.ok("GET", f"/v3/volumes/{made['id']}", version="3.0"))["volume"]
    assert old["volume_type"] == "__DEFAULT__" and old["metadata"] == {"a": "1"}
    assert old["bootable"] == "false" and old["attachments"] == []
    for field in ("volume_type_id", "shared_targets", "consumes_quota", "group_id"):
        assert field not in old
    new = (await cloud.ok("GET", f"/v3/volumes/{made['id']}", version="3.71"))["volume"]
    assert new["shared_targets"] is False and new["consumes_quota"] is True
    assert new["volume_type_id"] and new["group_id"] is None
    assert "os-vol-host-attr:host" not in new  # admin only
    admin = await cloud.volume(made["id"])
    assert admin["os-vol-host-attr:host"] == "testhost@file#file"
    assert admin["os-vol-tenant-attr:tenant_id"] == "project-a"


async def test_paging_returns_each_volume_once(cloud: VolumeCloud) -> None:
    made = {(await cloud.create_volume(name=f"p{i}"))["id"] for i in range(7)}
    seen: list[str] = []
    params: dict[str, str] = {"limit": "3"}
    while True:
        page = await cloud.ok("GET", "/v3/volumes/detail", params=params)
        seen += [v["id"] for v in page["volumes"]]
        links = page.get("volumes_links")
        if not links:
            break
        params = {"limit": "3", "marker": page["volumes"][-1]["id"]}
    assert sorted(seen) == sorted(made) and len(seen) == len(made)
    counted = await cloud.ok("GET", "/v3/volumes", params={"with_count": "true", "limit": "2"})
    assert counted["count"] == 7 and len(counted["volumes"]) == 2


async def test_sorting_and_filters(cloud: VolumeCloud) -> None:
    await cloud.available_volume(size=3, name="big", metadata={"tier": "gold"})
    await cloud.available_volume(size=1, name="small")
    by_size = await cloud.ok("GET", "/v3/volumes/detail", params={"sort": "size:asc"})
    assert [v["name"] for v in by_size["volumes"]] == ["small", "big"]
    gold = await cloud.ok("GET", "/v3/volumes/detail", params={"metadata": '{"tier": "gold"}'})
    assert [v["name"] for v in gold["volumes"]] == ["big"]
    like = await cloud.ok("GET", "/v3/volumes", params={"name~": "ig"}, version="3.34")
    assert [v["name"] for v in like["volumes"]] == ["big"]
    unknown = await cloud.call("GET", "/v3/volumes", params={"colour": "red"})
    assert fault(unknown)[:2] == ("badRequest", 400)
    bad_marker = await cloud.call("GET", "/v3/volumes", params={"marker": MISSING})
    assert fault(bad_marker)[:2] == ("badRequest", 400)


@pytest.mark.parametrize(
    ("size", "needle"),
    [(0, "size"), (-1, "size"), ("x", "size"), (10**10, "size")],
)
async def test_bad_sizes_are_refused_and_nothing_is_made(
    cloud: VolumeCloud, size: object, needle: str
) -> None:
    resp = await cloud.call("POST", "/v3/volumes", {"volume": {"size": size}})
    key, code, message = fault(resp)
    assert (key, code) == ("badRequest", 400) and needle in message
    assert await _count_rows(cloud) == 0


async def test_size_is_required_without_a_source(cloud: VolumeCloud) -> None:
    resp = await cloud.call("POST", "/v3/volumes", {"volume": {"name": "no-size"}})
    assert fault(resp)[1] == 400 and "size is required" in fault(resp)[2]


async def test_over_quota_is_413_and_nothing_is_made(cloud: VolumeCloud) -> None:
    await cloud.ok(
        "PUT", "/v3/os-quota-sets/project-a", {"quota_set": {"gigabytes": 3}}, token="admin"
    )
    await cloud.available_volume(size=2)
    resp = await cloud.call("POST", "/v3/volumes", {"volume": {"size": 2}})
    key, code, message = fault(resp)
    assert (key, code) == ("overLimit", 413)
    assert (
        "gigabytes" in message and "Requested 2G, quota is 3G and 2G has been consumed" in message
    )
    assert await _count_rows(cloud) == 1


async def test_multiattach_parameter_is_refused(cloud: VolumeCloud) -> None:
    resp = await cloud.call("POST", "/v3/volumes", {"volume": {"size": 1, "multiattach": True}})
    assert fault(resp)[1] == 400 and "multiattach" in fault(resp)[2]


async def test_unknown_type_and_zone_are_refused(cloud: VolumeCloud) -> None:
    no_type = await cloud.call("POST", "/v3/volumes", {"volume": {"size": 1, "volume_type": "x"}})
    assert fault(no_type)[:2] == ("itemNotFound", 404)
    zone = {"size": 1, "availability_zone": "elsewhere"}
    no_zone = await cloud.call("POST", "/v3/volumes", {"volume": zone})
    assert fault(no_zone)[1] == 400 and "elsewhere" in fault(no_zone)[2]


async def test_another_projects_volume_is_404_for_every_verb(cloud: VolumeCloud) -> None:
    made = await cloud.available_volume()
    vid = made["id"]
    calls = [
        ("GET", f"/v3/volumes/{vid}", None),
        ("PUT", f"/v3/volumes/{vid}", {"volume": {"name": "x"}}),
        ("DELETE", f"/v3/volumes/{vid}", None),
        ("POST", f"/v3/volumes/{vid}/action", {"os-extend": {"new_size": 2}}),
        ("POST", f"/v3/volumes/{vid}/action", {"os-reserve": {}}),
        ("GET", f"/v3/volumes/{vid}/metadata", None),
        ("POST", f"/v3/volumes/{vid}/metadata", {"metadata": {"k": "v"}}),
        ("DELETE", f"/v3/volumes/{vid}/metadata/k", None),
        ("POST", "/v3/snapshots", {"snapshot": {"volume_id": vid}}),
        ("POST", "/v3/backups", {"backup": {"volume_id": vid}}),
        ("POST", "/v3/attachments", {"attachment": {"volume_uuid": vid}}),
        ("POST", "/v3/volume-transfers", {"transfer": {"volume_id": vid}}),
        ("POST", "/v3/volumes", {"volume": {"source_volid": vid}}),
    ]
    for method, path, body in calls:
        resp = await cloud.call(method, path, body, token="other")
        assert resp.status_code == 404, (method, path, resp.text)
    listed = await cloud.ok("GET", "/v3/volumes", token="other")
    assert listed["volumes"] == []
    assert (await cloud.volume(vid))["status"] == "available"


async def test_reader_cannot_write(cloud: VolumeCloud) -> None:
    made = await cloud.available_volume()
    resp = await cloud.call(
        "PUT", f"/v3/volumes/{made['id']}", {"volume": {"name": "x"}}, token="reader"
    )
    assert fault(resp)[:2] == ("forbidden", 403)
    assert (await cloud.ok("GET", f"/v3/volumes/{made['id']}", token="reader"))["volume"]


async def test_update_and_metadata(cloud: VolumeCloud) -> None:
    made = await cloud.available_volume()
    base = f"/v3/volumes/{made['id']}"
    updated = await cloud.ok("PUT", base, {"volume": {"name": "new", "description": "d"}})
    assert updated["volume"]["name"] == "new" and updated["volume"]["description"] == "d"
    empty = await cloud.call("PUT", base, {"volume": {}})
    assert fault(empty)[1] == 400
    await cloud.ok("POST", f"{base}/metadata", {"metadata": {"a": "1", "b": "2"}})
    await cloud.ok("PUT", f"{base}/metadata/a", {"meta": {"a": "9"}})
    assert (await cloud.ok("GET", f"{base}/metadata"))["metadata"] == {"a": "9", "b": "2"}
    await cloud.ok("DELETE", f"{base}/metadata/b")
    assert (await cloud.ok("GET", f"{base}/metadata/a"))["meta"] == {"a": "9"}
    missing = await cloud.call("GET", f"{base}/metadata/b")
    assert fault(missing)[1] == 404
    replaced = await cloud.ok("PUT", f"{base}/metadata", {"metadata": {"c": "3"}})
    assert replaced["metadata"] == {"c": "3"}
    mismatch = await cloud.call("PUT", f"{base}/metadata/x", {"meta": {"y": "1"}})
    assert fault(mismatch)[1] == 400


async def test_summary(cloud: VolumeCloud) -> None:
    await cloud.available_volume(size=2)
    await cloud.available_volume(size=3)
    summary = await cloud.ok("GET", "/v3/volumes/summary", version="3.12")
    assert summary["volume-summary"] == {"total_count": 2, "total_size": 5}
