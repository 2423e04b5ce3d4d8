"""A first volume end to end: create on the file backend, show, list, delete."""

from __future__ import annotations

from tests.functional.volume.conftest import VolumeCloud


async def test_create_show_delete(cloud: VolumeCloud) -> None:
    made = await cloud.available_volume(size=1, name="first")
    path = cloud.data_dir / "volumes" / "file" / f"volume-{made['id']}"
    assert path.exists()
    listed = await cloud.ok("GET", "/v3/volumes")
    assert [v["id"] for v in listed["volumes"]] == [made["id"]]
    resp = await cloud.call("DELETE", f"/v3/volumes/{made['id']}")
    assert resp.status_code == 202, resp.text
    await cloud.wait_for(
        lambda: cloud.call("GET", f"/v3/volumes/{made['id']}"), lambda r: r.status_code == 404
    )
    assert not path.exists()
