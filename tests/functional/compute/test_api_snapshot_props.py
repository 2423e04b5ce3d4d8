"""A snapshot keeps the boot properties of its server's image, so it boots the same way."""

from __future__ import annotations

from tests.functional.compute.api_support import GUEST, Compute, api

__all__ = ["api"]


async def test_snapshot_inherits_kernel_and_ramdisk(api: Compute) -> None:
    base = api.state.images.images[GUEST]
    base.update(kernel_id="k-1", ramdisk_id="r-1", hw_machine_type="pc", owner_secret="x")
    uuid = await api.active()
    body = {"createImage": {"name": "snap", "metadata": {"ramdisk_id": "mine"}}}
    resp = await api.call("POST", f"/servers/{uuid}/action", body)
    assert resp.status_code == 202, resp.text
    image = api.state.images.images[resp.json()["image_id"]]
    assert image["kernel_id"] == "k-1" and image["hw_machine_type"] == "pc"
    assert image["ramdisk_id"] == "mine"  # the caller's metadata wins
    assert "owner_secret" not in image  # only boot properties are inherited
    assert image["base_image_ref"] == GUEST


async def test_snapshot_of_a_vanished_image_has_no_inherited_props(api: Compute) -> None:
    uuid = await api.active()
    del api.state.images.images[GUEST]
    resp = await api.call("POST", f"/servers/{uuid}/action", {"createImage": {"name": "s"}})
    assert resp.status_code == 202, resp.text
    image = api.state.images.images[resp.json()["image_id"]]
    assert "kernel_id" not in image and image["name"] == "s"
