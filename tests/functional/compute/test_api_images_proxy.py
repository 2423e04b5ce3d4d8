"""The /images proxy (before 2.36), image metadata, and createBackup with rotation."""

from __future__ import annotations

from tests.functional.compute.api_support import GUEST, Compute, api, fault

__all__ = ["api"]
OLD = "2.35"


async def test_list_detail_show_translate_the_image_service(api: Compute) -> None:
    api.state.images.images[GUEST]["os_distro"] = "nimbo"
    brief = (await api.call("GET", "/images", version=OLD)).json()["images"]
    assert brief[0]["id"] == GUEST and {link["rel"] for link in brief[0]["links"]} == {
        "self",
        "bookmark",
        "alternate",
    }
    detail = (await api.call("GET", "/images/detail", version=OLD)).json()["images"][0]
    assert (detail["status"], detail["progress"], detail["minRam"]) == ("ACTIVE", 100, 0)
    assert detail["metadata"] == {"os_distro": "nimbo"}
    shown = (await api.call("GET", f"/images/{GUEST}", version=OLD)).json()["image"]
    assert shown["OS-EXT-IMG-SIZE:size"] == 1024
    filtered = await api.call("GET", "/images", version=OLD, params={"name": "other"})
    assert filtered.json()["images"] == []


async def test_server_filter_takes_a_server_link(api: Compute) -> None:
    api.state.images.images[GUEST]["instance_uuid"] = "s-1"
    link = "http://compute.test/v2.1/servers/s-1"
    found = await api.call("GET", "/images", version=OLD, params={"server": link})
    assert [i["id"] for i in found.json()["images"]] == [GUEST]
    detail = (await api.call("GET", f"/images/{GUEST}", version=OLD)).json()["image"]
    assert detail["server"]["id"] == "s-1"


async def test_missing_image_and_late_microversion_are_404(api: Compute) -> None:
    missing = await api.call("GET", "/images/nope", version=OLD)
    assert missing.status_code == 404 and "nope" in fault(missing)["message"]
    assert (await api.call("DELETE", "/images/nope", version=OLD)).status_code == 404
    assert (await api.call("DELETE", "/images/", version=OLD)).status_code == 404
    assert (await api.call("GET", "/images", version="2.36")).status_code == 404


async def test_delete_image(api: Compute) -> None:
    assert (await api.call("DELETE", f"/images/{GUEST}", version=OLD)).status_code == 204
    assert GUEST not in api.state.images.images


async def test_metadata_set_update_item_and_delete(api: Compute) -> None:
    base = f"/images/{GUEST}/metadata"
    put = await api.call("PUT", base, {"metadata": {"a": "1", "b": "2"}}, version=OLD)
    assert put.json() == {"metadata": {"a": "1", "b": "2"}}
    post = await api.call("POST", base, {"metadata": {"b": "3", "c": "4"}}, version=OLD)
    assert post.json() == {"metadata": {"a": "1", "b": "3", "c": "4"}}
    item = await api.call("GET", f"{base}/c", version=OLD)
    assert item.json() == {"meta": {"c": "4"}}
    set_item = await api.call("PUT", f"{base}/d", {"meta": {"d": "5"}}, version=OLD)
    assert set_item.json() == {"meta": {"d": "5"}}
    assert (await api.call("DELETE", f"{base}/a", version=OLD)).status_code == 204
    listed = (await api.call("GET", base, version=OLD)).json()["metadata"]
    assert listed == {"b": "3", "c": "4", "d": "5"}


async def test_metadata_bad_inputs(api: Compute) -> None:
    base = f"/images/{GUEST}/metadata"
    mismatch = await api.call("PUT", f"{base}/x", {"meta": {"y": "1"}}, version=OLD)
    assert mismatch.status_code == 400 and "mismatch" in fault(mismatch)["message"]
    assert (await api.call("GET", f"{base}/absent", version=OLD)).status_code == 404
    assert (await api.call("GET", "/images/nope/metadata", version=OLD)).status_code == 404
    too_many = {"metadata": {f"k{n}": "v" for n in range(129)}}
    over = await api.call("PUT", base, too_many, version=OLD)
    assert over.status_code == 403 and "metadata_items" in fault(over)["message"]


async def test_create_backup_rotates_old_backups(api: Compute) -> None:
    uuid = await api.active()
    ids = []
    for n in range(3):
        await api.set_state(uuid, task_state=None)
        body = {"createBackup": {"name": f"b{n}", "backup_type": "daily", "rotation": 2}}
        resp = await api.call("POST", f"/servers/{uuid}/action", body)
        assert resp.status_code == 202, resp.text
        ids.append(resp.json()["image_id"])
    images = api.state.images.images
    kept = {i for i, image in images.items() if image.get("image_type") == "backup"}
    assert kept == set(ids[1:])
    assert api.state.images.images[ids[2]]["backup_type"] == "daily"


async def test_create_backup_bad_input_and_restore_state(api: Compute) -> None:
    uuid = await api.active()
    bad = await api.call("POST", f"/servers/{uuid}/action", {"createBackup": {"name": "b"}})
    assert bad.status_code == 400
    restore = await api.call("POST", f"/servers/{uuid}/action", {"restore": None})
    assert restore.status_code == 409 and "vm_state active" in fault(restore)["message"]
