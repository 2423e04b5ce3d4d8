"""Volume types (private access, extra specs, default), QoS specs, transfers, services,
availability zones and user messages."""

from __future__ import annotations

from tests.functional.volume.conftest import VolumeCloud, fault


async def test_types_extra_specs_and_default(cloud: VolumeCloud) -> None:
    default = (await cloud.ok("GET", "/v3/types/default"))["volume_type"]
    assert default["name"] == "__DEFAULT__"
    member = await cloud.call("POST", "/v3/types", {"volume_type": {"name": "x"}})
    assert fault(member)[1] == 403
    made = await cloud.ok(
        "POST",
        "/v3/types",
        {"volume_type": {"name": "gold", "extra_specs": {"volume_backend_name": "file"}}},
        token="admin",
    )
    tid = made["volume_type"]["id"]
    assert made["volume_type"]["extra_specs"] == {"volume_backend_name": "file"}
    dup = await cloud.call("POST", "/v3/types", {"volume_type": {"name": "gold"}}, token="admin")
    assert fault(dup)[:2] == ("conflictingRequest", 409)
    await cloud.ok(
        "POST", f"/v3/types/{tid}/extra_specs", {"extra_specs": {"k": "v"}}, token="admin"
    )
    specs = await cloud.ok("GET", f"/v3/types/{tid}/extra_specs", token="admin")
    assert specs["extra_specs"] == {"volume_backend_name": "file", "k": "v"}
    as_member = (await cloud.ok("GET", f"/v3/types/{tid}"))["volume_type"]
    assert as_member["extra_specs"] == {}  # not user visible
    await cloud.ok("DELETE", f"/v3/types/{tid}/extra_specs/k", token="admin")
    vol = await cloud.available_volume(volume_type="gold")
    in_use = await cloud.call("DELETE", f"/v3/types/{tid}", token="admin")
    assert fault(in_use)[1] == 400 and "still in use" in fault(in_use)[2]
    await cloud.ok("DELETE", f"/v3/volumes/{vol['id']}")
    default_delete = await cloud.call("DELETE", f"/v3/types/{default['id']}", token="admin")
    assert fault(default_delete)[1] == 400


async def test_private_type_access(cloud: VolumeCloud) -> None:
    body = {"volume_type": {"name": "secret", "os-volume-type-access:is_public": False}}
    made = (await cloud.ok("POST", "/v3/types", body, token="admin"))["volume_type"]
    hidden = await cloud.call(
        "POST", "/v3/volumes", {"volume": {"size": 1, "volume_type": "secret"}}
    )
    assert fault(hidden)[:2] == ("itemNotFound", 404)
    names = [t["name"] for t in (await cloud.ok("GET", "/v3/types"))["volume_types"]]
    assert "secret" not in names
    await cloud.ok(
        "POST",
        f"/v3/types/{made['id']}/action",
        {"addProjectAccess": {"project": "project-a"}},
        token="admin",
    )
    access = await cloud.ok("GET", f"/v3/types/{made['id']}/os-volume-type-access", token="admin")
    assert access["volume_type_access"] == [
        {"volume_type_id": made["id"], "project_id": "project-a"}
    ]
    await cloud.available_volume(volume_type="secret")
    other = await cloud.call(
        "POST", "/v3/volumes", {"volume": {"size": 1, "volume_type": "secret"}}, token="other"
    )
    assert fault(other)[1] == 404


async def test_qos_specs(cloud: VolumeCloud) -> None:
    made = await cloud.ok(
        "POST",
        "/v3/qos-specs",
        {"qos_specs": {"name": "q", "consumer": "front-end", "total_bytes_sec": "1048576"}},
        token="admin",
    )
    qid = made["qos_specs"]["id"]
    assert made["qos_specs"]["specs"] == {"total_bytes_sec": "1048576"}
    await cloud.ok(
        "PUT", f"/v3/qos-specs/{qid}", {"qos_specs": {"total_iops_sec": "9"}}, token="admin"
    )
    shown = (await cloud.ok("GET", f"/v3/qos-specs/{qid}", token="admin"))["qos_specs"]
    assert shown["specs"] == {"total_bytes_sec": "1048576", "total_iops_sec": "9"}
    vtype = (await cloud.ok("POST", "/v3/types", {"volume_type": {"name": "t"}}, token="admin"))[
        "volume_type"
    ]
    await cloud.ok(
        "GET", f"/v3/qos-specs/{qid}/associate", params={"vol_type_id": vtype["id"]}, token="admin"
    )
    assoc = await cloud.ok("GET", f"/v3/qos-specs/{qid}/associations", token="admin")
    assert assoc["qos_associations"] == [
        {"association_type": "volume_type", "name": "t", "id": vtype["id"]}
    ]
    busy = await cloud.call("DELETE", f"/v3/qos-specs/{qid}", token="admin")
    assert fault(busy)[1] == 400
    await cloud.ok(
        "PUT", f"/v3/qos-specs/{qid}/delete_keys", {"keys": ["total_iops_sec"]}, token="admin"
    )
    forced = await cloud.call(
        "DELETE", f"/v3/qos-specs/{qid}", params={"force": "true"}, token="admin"
    )
    assert forced.status_code == 202
    assert (await cloud.call("GET", "/v3/qos-specs", token="member")).status_code == 403


async def test_transfer_to_another_project(cloud: VolumeCloud) -> None:
    vol = await cloud.available_volume(size=1)
    made = await cloud.ok(
        "POST",
        "/v3/volume-transfers",
        {"transfer": {"volume_id": vol["id"], "name": "t"}},
        version="3.57",
    )
    transfer = made["transfer"]
    key = transfer["auth_key"]
    assert transfer["source_project_id"] == "project-a" and transfer["accepted"] is False
    assert (await cloud.volume(vol["id"]))["status"] == "awaiting-transfer"
    listed = await cloud.ok("GET", "/v3/os-volume-transfer/detail")
    assert "auth_key" not in listed["transfers"][0]
    hidden = await cloud.call("GET", f"/v3/os-volume-transfer/{transfer['id']}", token="other")
    assert hidden.status_code == 404
    hidden_delete = await cloud.call(
        "DELETE", f"/v3/os-volume-transfer/{transfer['id']}", token="other"
    )
    assert hidden_delete.status_code == 404
    wrong = await cloud.call(
        "POST",
        f"/v3/os-volume-transfer/{transfer['id']}/accept",
        {"accept": {"auth_key": "wrong"}},
        token="other",
    )
    assert fault(wrong)[1] == 400 and "invalid auth key" in fault(wrong)[2]
    accepted = await cloud.call(
        "POST",
        f"/v3/os-volume-transfer/{transfer['id']}/accept",
        {"accept": {"auth_key": key}},
        token="other",
    )
    assert accepted.status_code == 202
    mine = await cloud.ok("GET", f"/v3/volumes/{vol['id']}", token="other")
    assert mine["volume"]["status"] == "available"
    assert (await cloud.call("GET", f"/v3/volumes/{vol['id']}")).status_code == 404


async def test_transfer_withdrawn(cloud: VolumeCloud) -> None:
    vol = await cloud.available_volume()
    made = await cloud.ok("POST", "/v3/os-volume-transfer", {"transfer": {"volume_id": vol["id"]}})
    again = await cloud.call(
        "POST", "/v3/os-volume-transfer", {"transfer": {"volume_id": vol["id"]}}
    )
    assert fault(again)[1] == 400
    await cloud.ok("DELETE", f"/v3/os-volume-transfer/{made['transfer']['id']}")
    assert (await cloud.volume(vol["id"]))["status"] == "available"


async def test_services_and_zones(cloud: VolumeCloud) -> None:
    found = (await cloud.ok("GET", "/v3/os-services", token="admin"))["services"]
    binaries = {(s["binary"], s["host"]) for s in found}
    assert {
        ("cinder-scheduler", "testhost"),
        ("cinder-volume", "testhost@file"),
        ("cinder-backup", "testhost"),
    } <= binaries
    assert all(s["state"] == "up" and s["status"] == "enabled" for s in found)
    assert (await cloud.call("GET", "/v3/os-services")).status_code == 403
    pools = await cloud.ok(
        "GET", "/v3/scheduler-stats/get_pools", params={"detail": "true"}, token="admin"
    )
    (pool,) = pools["pools"]
    assert pool["name"] == "testhost@file#file"
    assert pool["capabilities"]["volume_backend_name"] == "file"
    assert pool["capabilities"]["total_capacity_gb"] > 0
    zones = await cloud.ok("GET", "/v3/os-availability-zone")
    assert zones["availabilityZoneInfo"] == [{"zoneName": "nova", "zoneState": {"available": True}}]
    await cloud.ok(
        "PUT",
        "/v3/os-services/disable-log-reason",
        {"host": "testhost@file", "binary": "cinder-volume", "disabled_reason": "maintenance"},
        token="admin",
    )
    made = await cloud.create_volume()
    assert (await cloud.wait_volume(made["id"], "error", "available"))["status"] == "error"
    await cloud.ok(
        "PUT",
        "/v3/os-services/enable",
        {"host": "testhost@file", "binary": "cinder-volume"},
        token="admin",
    )
    await cloud.available_volume()


async def test_messages(cloud: VolumeCloud) -> None:
    body = {"volume_type": {"name": "nowhere", "extra_specs": {"volume_backend_name": "x"}}}
    await cloud.ok("POST", "/v3/types", body, token="admin")
    made = await cloud.create_volume(volume_type="nowhere")
    await cloud.wait_volume(made["id"], "error")
    old = await cloud.call("GET", "/v3/messages", version="3.0")
    assert old.status_code == 404
    (message,) = (await cloud.ok("GET", "/v3/messages"))["messages"]
    assert message["resource_uuid"] == made["id"] and message["resource_type"] == "VOLUME"
    assert message["event_id"] == "VOLUME_VOLUME_001_003"
    assert (
        await cloud.call("GET", f"/v3/messages/{message['id']}", token="other")
    ).status_code == 404
    deleted = await cloud.call("DELETE", f"/v3/messages/{message['id']}")
    assert deleted.status_code == 204
