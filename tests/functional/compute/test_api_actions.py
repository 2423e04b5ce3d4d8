"""Server actions over HTTP: the state machine, locks, races, records, and the casts."""

from __future__ import annotations

import asyncio

from nimbostack.compute.messages import (
    MigrateInstance,
    PauseInstance,
    SnapshotInstance,
    UnshelveInstance,
)
from tests.functional.compute.api_support import Compute, api, fault

__all__ = ["api"]


async def _act(api: Compute, uuid: str, body: object, token: str = "alice") -> int:
    resp = await api.call("POST", f"/servers/{uuid}/action", body, token=token)
    return resp.status_code


async def test_pause_sets_task_and_casts_to_the_host(api: Compute) -> None:
    uuid = await api.active()
    assert await _act(api, uuid, {"pause": None}) == 202
    sent = api.state.rpc.sent[-1]
    assert sent[0:2] == ("agent", "host1")
    assert isinstance(sent[2], PauseInstance)
    shown = (await api.call("GET", f"/servers/{uuid}")).json()["server"]
    assert shown["OS-EXT-STS:task_state"] == "pausing"


async def test_action_in_wrong_state_is_409_with_the_state(api: Compute) -> None:
    uuid = await api.active()
    await api.set_state(uuid, vm_state="paused")
    resp = await api.call("POST", f"/servers/{uuid}/action", {"pause": None})
    assert resp.status_code == 409
    assert fault(resp)["message"] == (
        f"Cannot 'pause' instance {uuid} while it is in vm_state paused"
    )
    resp = await api.call("POST", f"/servers/{uuid}/action", {"os-start": None})
    assert "while it is in vm_state paused" in fault(resp)["message"]


async def test_concurrent_actions_one_wins(api: Compute) -> None:
    uuid = await api.active()
    codes = await asyncio.gather(
        *[_act(api, uuid, {"os-stop": None}) for _ in range(5)],
        *[_act(api, uuid, {"pause": None}) for _ in range(5)],
    )
    assert sorted(codes).count(202) == 1 and codes.count(409) == 9


async def test_locked_server_refuses_non_admin(api: Compute) -> None:
    uuid = await api.active()
    lock = {"lock": {"locked_reason": "maintenance"}}
    assert await _act(api, uuid, lock, token="admin") == 202
    resp = await api.call("POST", f"/servers/{uuid}/action", {"os-stop": None})
    assert resp.status_code == 409
    assert fault(resp)["message"] == f"Instance {uuid} is locked"
    assert (await api.call("DELETE", f"/servers/{uuid}")).status_code == 409
    shown = (await api.call("GET", f"/servers/{uuid}")).json()["server"]
    assert shown["locked"] is True and shown["locked_reason"] == "maintenance"
    resp = await api.call("POST", f"/servers/{uuid}/action", {"unlock": None})
    assert resp.status_code == 403
    assert await _act(api, uuid, {"os-stop": None}, token="admin") == 202


async def test_actions_are_recorded(api: Compute) -> None:
    uuid = await api.active()
    assert await _act(api, uuid, {"reboot": {"type": "HARD"}}) == 202
    listed = (await api.call("GET", f"/servers/{uuid}/os-instance-actions")).json()
    names = [a["action"] for a in listed["instanceActions"]]
    assert names == ["reboot", "create"]
    request_id = listed["instanceActions"][0]["request_id"]
    shown = await api.call("GET", f"/servers/{uuid}/os-instance-actions/{request_id}")
    assert shown.status_code == 200 and shown.json()["instanceAction"]["events"] == []


async def test_reboot_type_is_required(api: Compute) -> None:
    uuid = await api.active()
    resp = await api.call("POST", f"/servers/{uuid}/action", {"reboot": {"type": "WARM"}})
    assert resp.status_code == 400 and "'type'" in fault(resp)["message"]


async def test_shelve_queues_an_image_and_unshelve_goes_to_the_conductor(api: Compute) -> None:
    uuid = await api.active()
    assert await _act(api, uuid, {"shelve": None}) == 202
    msg = api.state.rpc.last()
    assert isinstance(msg, SnapshotInstance) and msg.shelve and msg.offload
    assert api.state.images.images[msg.image_id]["status"] == "queued"
    await api.set_state(uuid, vm_state="shelved_offloaded", task_state=None, host=None)
    assert await _act(api, uuid, {"unshelve": None}) == 202
    assert isinstance(api.state.rpc.last(), UnshelveInstance)


async def test_create_image_returns_the_image_id(api: Compute) -> None:
    uuid = await api.active()
    resp = await api.call("POST", f"/servers/{uuid}/action", {"createImage": {"name": "snap"}})
    assert resp.status_code == 202, resp.text
    image_id = resp.json()["image_id"]
    assert api.state.images.images[image_id]["instance_uuid"] == uuid
    old = await api.call(
        "POST", f"/servers/{uuid}/action", {"createImage": {"name": "s2"}}, version="2.44"
    )
    assert old.status_code == 409  # still snapshotting: one image at a time


async def test_resize_checks_flavor_and_casts_migrate(api: Compute) -> None:
    uuid = await api.active()
    same = await api.call("POST", f"/servers/{uuid}/action", {"resize": {"flavorRef": "42"}})
    assert same.status_code == 400
    assert fault(same)["message"] == "When resizing, instances must change flavor!"
    assert await _act(api, uuid, {"resize": {"flavorRef": "84"}}) == 202
    msg = api.state.rpc.last()
    assert isinstance(msg, MigrateInstance) and msg.flavor and msg.flavor["flavorid"] == "84"
    resp = await api.call("POST", f"/servers/{uuid}/action", {"confirmResize": None})
    assert resp.status_code == 409


async def test_unknown_action_is_400(api: Compute) -> None:
    uuid = await api.active()
    resp = await api.call("POST", f"/servers/{uuid}/action", {"dance": None})
    assert resp.status_code == 400 and "dance" in fault(resp)["message"]
