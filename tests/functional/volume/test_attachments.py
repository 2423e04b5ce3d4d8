"""Attachments (3.27+): reserve, connect, complete, delete; who may delete a live one;
concurrent attaches; QoS in connection_info; and the legacy attach flow."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from tests.functional.volume.conftest import SQLITE_AND_POSTGRES, VolumeCloud, fault

CONNECTOR = {
    "host": "testhost",
    "ip": "127.0.0.1",
    "initiator": "iqn.test",
    "mountpoint": "/dev/vdb",
}


async def _attach(cloud: VolumeCloud, volume_id: str, server: str) -> dict[str, Any]:
    body = {"attachment": {"volume_uuid": volume_id, "instance_uuid": server}}
    made = await cloud.ok("POST", "/v3/attachments", body)
    att = made["attachment"]
    updated = await cloud.ok(
        "PUT", f"/v3/attachments/{att['id']}", {"attachment": {"connector": CONNECTOR}}
    )
    await cloud.ok("POST", f"/v3/attachments/{att['id']}/action", {"os-complete": {}})
    return dict(updated["attachment"])


async def test_attachment_flow_and_connection_info(cloud: VolumeCloud) -> None:
    vol = await cloud.available_volume()
    server = str(uuid.uuid4())
    body = {"attachment": {"volume_uuid": vol["id"], "instance_uuid": server}}
    reserved = (await cloud.ok("POST", "/v3/attachments", body))["attachment"]
    assert reserved["status"] == "reserved" and reserved["connection_info"] == {}
    assert (await cloud.volume(vol["id"]))["status"] == "reserved"
    connect = {"attachment": {"connector": CONNECTOR}}
    updated = (await cloud.ok("PUT", f"/v3/attachments/{reserved['id']}", connect))["attachment"]
    info = updated["connection_info"]
    assert info["driver_volume_type"] == "file" and info["format"] == cloud.fmt
    assert info["path"].endswith(f"volume-{vol['id']}") and info["access_mode"] == "rw"
    assert info["attachment_id"] == reserved["id"] and info["qos_specs"] is None
    assert (await cloud.volume(vol["id"]))["status"] == "attaching"
    done = await cloud.call("POST", f"/v3/attachments/{reserved['id']}/action", {"os-complete": {}})
    assert done.status_code == 204
    shown = await cloud.volume(vol["id"])
    assert shown["status"] == "in-use"
    assert shown["attachments"][0]["server_id"] == server
    assert shown["attachments"][0]["host_name"] == "testhost"  # admin sees the host
    member_view = await cloud.volume(vol["id"], token="member")
    assert member_view["attachments"][0]["host_name"] is None
    delete = await cloud.call(
        "DELETE", f"/v3/attachments/{reserved['id']}", service_token="service"
    )
    assert delete.status_code == 200 and delete.json() == {"attachments": []}
    assert (await cloud.volume(vol["id"]))["status"] == "available"


async def test_a_user_cannot_delete_a_live_attachment(cloud: VolumeCloud) -> None:
    vol = await cloud.available_volume()
    server = str(uuid.uuid4())
    att = await _attach(cloud, vol["id"], server)
    cloud.compute.servers.add(server)
    cloud.compute.attachments[(server, vol["id"])] = att["id"]
    refused = await cloud.call("DELETE", f"/v3/attachments/{att['id']}")
    key, code, message = fault(refused)
    assert (key, code) == ("conflictingRequest", 409) and server in message
    legacy = await cloud.call(
        "POST", f"/v3/volumes/{vol['id']}/action", {"os-detach": {"attachment_id": att["id"]}}
    )
    assert fault(legacy)[1] == 409
    assert (await cloud.volume(vol["id"]))["status"] == "in-use"
    # A service token (compute's) may; so may anyone once the server is gone.
    allowed = await cloud.call("DELETE", f"/v3/attachments/{att['id']}", service_token="service")
    assert allowed.status_code == 200
    att2 = await _attach(cloud, vol["id"], server)
    cloud.compute.attachments.clear()
    cloud.compute.servers.clear()
    gone = await cloud.call("DELETE", f"/v3/attachments/{att2['id']}")
    assert gone.status_code == 200


async def test_second_server_cannot_attach_a_volume_in_use(cloud: VolumeCloud) -> None:
    vol = await cloud.available_volume()
    await _attach(cloud, vol["id"], str(uuid.uuid4()))
    body = {"attachment": {"volume_uuid": vol["id"], "instance_uuid": str(uuid.uuid4())}}
    resp = await cloud.call("POST", "/v3/attachments", body)
    key, code, message = fault(resp)
    assert (key, code) == ("badRequest", 400) and "in-use" in message


@SQLITE_AND_POSTGRES
async def test_concurrent_attaches_exactly_one_wins(cloud: VolumeCloud) -> None:
    vol = await cloud.available_volume()

    async def attach() -> int:
        body = {"attachment": {"volume_uuid": vol["id"], "instance_uuid": str(uuid.uuid4())}}
        return (await cloud.call("POST", "/v3/attachments", body)).status_code

    codes = await asyncio.gather(*(attach() for _ in range(8)))
    assert sorted(codes) == [200] + [400] * 7
    listed = await cloud.ok("GET", "/v3/attachments", params={"volume_id": vol["id"]})
    assert len(listed["attachments"]) == 1


async def test_front_end_qos_reaches_connection_info(cloud: VolumeCloud) -> None:
    qos = await cloud.ok(
        "POST",
        "/v3/qos-specs",
        {"qos_specs": {"name": "gold", "consumer": "front-end", "total_iops_sec": "500"}},
        token="admin",
    )
    vtype = await cloud.ok("POST", "/v3/types", {"volume_type": {"name": "fast"}}, token="admin")
    qid, tid = qos["qos_specs"]["id"], vtype["volume_type"]["id"]
    await cloud.ok(
        "GET", f"/v3/qos-specs/{qid}/associate", params={"vol_type_id": tid}, token="admin"
    )
    vol = await cloud.available_volume(volume_type="fast")
    att = await _attach(cloud, vol["id"], str(uuid.uuid4()))
    assert att["connection_info"]["qos_specs"] == {"total_iops_sec": "500"}


async def test_attachment_of_a_volume_in_error_is_refused(cloud: VolumeCloud) -> None:
    vol = await cloud.available_volume()
    await cloud.ok(
        "POST",
        f"/v3/volumes/{vol['id']}/action",
        {"os-reset_status": {"status": "error"}},
        token="admin",
    )
    body = {"attachment": {"volume_uuid": vol["id"], "instance_uuid": str(uuid.uuid4())}}
    resp = await cloud.call("POST", "/v3/attachments", body)
    assert fault(resp)[1] == 400 and "error state" in fault(resp)[2]


async def test_legacy_attach_flow(cloud: VolumeCloud) -> None:
    vol = await cloud.available_volume()
    action = f"/v3/volumes/{vol['id']}/action"

    async def act(name: str, args: Any = None) -> Any:
        resp = await cloud.call("POST", action, {name: args or {}})
        assert resp.status_code in (200, 202), (name, resp.text)
        return resp.json() if resp.content else None

    await act("os-reserve")
    assert (await cloud.volume(vol["id"]))["status"] == "attaching"
    again = await cloud.call("POST", action, {"os-reserve": {}})
    assert fault(again)[1] == 400
    info = (await act("os-initialize_connection", {"connector": CONNECTOR}))["connection_info"]
    assert info["driver_volume_type"] == "file" and info["data"]["format"] == cloud.fmt
    server = str(uuid.uuid4())
    await act("os-attach", {"instance_uuid": server, "mountpoint": "/dev/vdb"})
    assert (await cloud.volume(vol["id"]))["status"] == "in-use"
    await act("os-begin_detaching")
    assert (await cloud.volume(vol["id"]))["status"] == "detaching"
    await act("os-roll_detaching")
    assert (await cloud.volume(vol["id"]))["status"] == "in-use"
    await act("os-detach")
    await act("os-terminate_connection", {"connector": CONNECTOR})
    assert (await cloud.volume(vol["id"]))["status"] == "available"
