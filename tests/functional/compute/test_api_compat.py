"""Body shapes and status codes clients check: flavors, aggregates, hypervisors, server
update/rebuild views, keypairs, quota classes and diagnostics."""

from __future__ import annotations

import json
import time
import uuid

from nimbostack.compute.db.models import Migration
from nimbostack.compute.messages import UnshelveInstance
from tests.functional.compute.api_support import GUEST, Compute, api, fault

__all__ = ["api"]


async def test_flavor_id_may_be_an_integer(api: Compute) -> None:
    body = {"flavor": {"name": "int", "ram": 64, "vcpus": 1, "disk": 0, "id": 1234}}
    made = await api.call("POST", "/flavors", body, token="admin")
    assert made.status_code == 200 and made.json()["flavor"]["id"] == "1234"
    bad = {"flavor": {"name": "f", "ram": 64, "vcpus": 1, "disk": 0, "id": [1]}}
    assert (await api.call("POST", "/flavors", bad, token="admin")).status_code == 400


async def test_private_flavor_starts_with_no_access(api: Compute) -> None:
    body = {"flavor": {"name": "p", "ram": 64, "vcpus": 1, "disk": 0, "id": "p",
                       "os-flavor-access:is_public": False}}  # fmt: skip
    assert (await api.call("POST", "/flavors", body, token="admin")).status_code == 200
    access = await api.call("GET", "/flavors/p/os-flavor-access", token="admin")
    assert access.json() == {"flavor_access": []}


async def test_flavor_access_change_by_non_admin_is_403_first(api: Compute) -> None:
    grant = {"addTenantAccess": {"tenant": "project-a"}}
    resp = await api.call("POST", "/flavors/no-such/action", grant)
    assert resp.status_code == 403 and "add_tenant_access" in fault(resp)["message"]


async def test_extra_spec_delete_is_200(api: Compute) -> None:
    specs = {"extra_specs": {"k": "v"}}
    await api.call("POST", "/flavors/42/os-extra_specs", specs, token="admin")
    gone = await api.call("DELETE", "/flavors/42/os-extra_specs/k", token="admin")
    assert gone.status_code == 200


async def test_aggregate_create_answer_has_no_hosts_or_metadata(api: Compute) -> None:
    made = await api.call("POST", "/os-aggregates", {"aggregate": {"name": "a1"}}, token="admin")
    body = made.json()["aggregate"]
    assert "hosts" not in body and "metadata" not in body and body["name"] == "a1"
    shown = await api.call("GET", f"/os-aggregates/{body['id']}", token="admin")
    assert shown.json()["aggregate"]["hosts"] == []


async def test_hypervisor_cpu_info_is_a_string_before_2_28(api: Compute) -> None:
    await api.add_host("host1")
    old = await api.call("GET", "/os-hypervisors/detail", token="admin", version="2.27")
    cpu_info = old.json()["hypervisors"][0]["cpu_info"]
    assert isinstance(cpu_info, str) and isinstance(json.loads(cpu_info), dict)
    new = await api.call("GET", "/os-hypervisors/detail", token="admin", version="2.28")
    assert isinstance(new.json()["hypervisors"][0]["cpu_info"], dict)
    uptime = await api.call("GET", "/os-hypervisors/1/uptime", token="admin", version="2.52")
    assert " up 0 days" in uptime.json()["hypervisor"]["uptime"]


async def test_update_answer_is_reduced_before_2_75(api: Compute) -> None:
    uuid = await api.active()
    body = {"server": {"name": "renamed", "accessIPv6": "0:0:0:0:0:babe:220.12.22.2"}}
    old = (await api.call("PUT", f"/servers/{uuid}", body, version="2.47")).json()["server"]
    assert old["name"] == "renamed" and old["accessIPv6"] == "::babe:dc0c:1602"
    assert "OS-EXT-STS:vm_state" not in old and "key_name" not in old
    new = (await api.call("PUT", f"/servers/{uuid}", body, version="2.75")).json()["server"]
    assert new["OS-EXT-STS:vm_state"] == "active"


async def test_rebuild_answer_per_microversion(api: Compute) -> None:
    uuid = await api.active()
    rebuild = {"rebuild": {"imageRef": GUEST, "name": "again"}}
    old = await api.call("POST", f"/servers/{uuid}/action", rebuild, version="2.57")
    server = old.json()["server"]
    assert server["name"] == "again" and server["adminPass"]
    assert "user_data" in server and "key_name" in server and "config_drive" not in server
    await api.set_state(uuid, task_state=None, vm_state="active")
    new = await api.call("POST", f"/servers/{uuid}/action", rebuild, version="2.75")
    assert "config_drive" in new.json()["server"]
    assert "OS-EXT-SRV-ATTR:user_data" not in new.json()["server"]


async def test_x509_keypair_is_generated(api: Compute) -> None:
    body = {"keypair": {"name": "x", "type": "x509"}}
    made = await api.call("POST", "/os-keypairs", body, version="2.91")
    key = made.json()["keypair"]
    assert made.status_code == 201 and key["type"] == "x509"
    assert key["public_key"].startswith("-----BEGIN CERTIFICATE-----")
    assert len(key["fingerprint"].split(":")) == 20


async def test_quota_class_default_sets_project_defaults(api: Compute) -> None:
    shown = await api.call("GET", "/os-quota-class-sets/default", token="admin", version="2.49")
    values = shown.json()["quota_class_set"]
    assert values["id"] == "default" and "fixed_ips" in values and "server_groups" not in values
    update = {"quota_class_set": {"instances": 3, "fixed_ips": 7}}
    done = await api.call(
        "PUT", "/os-quota-class-sets/default", update, token="admin", version="2.49"
    )
    assert done.json()["quota_class_set"]["instances"] == 3
    assert done.json()["quota_class_set"]["fixed_ips"] == 7
    quota = await api.call("GET", "/os-quota-sets/project-a")
    assert quota.json()["quota_set"]["instances"] == 3
    late = await api.call("PUT", "/os-quota-class-sets/default", update, token="admin")
    assert late.status_code == 400  # fixed_ips is gone at 2.50
    denied = await api.call("PUT", "/os-quota-class-sets/default", {"quota_class_set": {}})
    assert denied.status_code == 403


async def test_diagnostics_admin_only_with_the_standard_shape(api: Compute) -> None:
    await api.add_host("host1")
    uuid = await api.active()
    resp = await api.call("GET", f"/servers/{uuid}/diagnostics", token="admin")
    body = resp.json()
    assert (body["state"], body["num_cpus"], body["hypervisor"]) == ("running", 1, "fake")
    assert body["memory_details"] == {"maximum": 128, "used": None}
    denied = await api.call("GET", f"/servers/{uuid}/diagnostics")
    assert denied.status_code == 403
    building = await api.boot()
    busy = await api.call("GET", f"/servers/{building}/diagnostics", token="admin")
    assert busy.status_code == 409 and "get_diagnostics" in fault(busy)["message"]


async def test_migration_view_has_integer_flavor_ids_and_no_regions(api: Compute) -> None:
    async with api.state.db.session() as s:
        s.add(Migration(uuid=str(uuid.uuid4()), instance_uuid=str(uuid.uuid4()),
                        migration_type="resize", status="finished", old_flavor_id="42",
                        new_flavor_id="custom", created_at=time.time()))  # fmt: skip
    listed = await api.call("GET", "/os-migrations", token="admin", version="2.1")
    migration = listed.json()["migrations"][0]
    assert (migration["old_instance_type_id"], migration["new_instance_type_id"]) == (42, None)
    assert "source_region" not in migration and "dest_region" not in migration


async def test_moves_to_an_unknown_or_the_same_host_are_refused(api: Compute) -> None:
    await api.add_host("host1")
    uuid = await api.active()
    path = f"/servers/{uuid}/action"
    live = {"os-migrateLive": {"host": "nohost", "block_migration": "auto"}}
    unknown = await api.call("POST", path, live, token="admin")
    assert unknown.status_code == 400 and "nohost could not be found" in fault(unknown)["message"]
    same = {"os-migrateLive": {"host": "host1", "block_migration": "auto"}}
    itself = await api.call("POST", path, same, token="admin")
    assert itself.status_code == 400 and "current host" in fault(itself)["message"]
    cold = await api.call("POST", path, {"migrate": {"host": "nohost"}}, token="admin")
    assert cold.status_code == 400
    evacuate = await api.call("POST", path, {"evacuate": {"host": "nohost"}}, token="admin")
    assert evacuate.status_code == 404
    shown = (await api.call("GET", f"/servers/{uuid}", token="admin")).json()["server"]
    assert (shown["status"], shown["OS-EXT-STS:task_state"]) == ("ACTIVE", None)


async def test_unshelve_to_a_host_is_admin_2_91_and_offloaded_only(api: Compute) -> None:
    await api.add_host("host1")
    uuid = await api.active()
    path = f"/servers/{uuid}/action"
    to_host = {"unshelve": {"host": "host1"}}
    await api.set_state(uuid, vm_state="shelved")
    shelved = await api.call("POST", path, to_host, token="admin")
    assert shelved.status_code == 409 and "vm_state shelved" in fault(shelved)["message"]
    await api.set_state(uuid, vm_state="shelved_offloaded", host=None)
    old = await api.call("POST", path, to_host, token="admin", version="2.90")
    assert old.status_code == 400
    member = await api.call("POST", path, to_host)
    assert member.status_code == 403
    unknown = await api.call("POST", path, {"unshelve": {"host": "nohost"}}, token="admin")
    assert unknown.status_code == 400
    done = await api.call("POST", path, to_host, token="admin")
    msg = api.state.rpc.last()
    assert done.status_code == 202
    assert isinstance(msg, UnshelveInstance) and msg.host == "host1"


async def test_migrate_accepts_an_empty_body_before_2_56(api: Compute) -> None:
    uuid = await api.active()
    await api.set_state(uuid, vm_state="paused")
    resp = await api.call("POST", f"/servers/{uuid}/action", {"migrate": {}}, token="admin",
                          version="2.55")  # fmt: skip
    assert resp.status_code == 409 and "vm_state paused" in fault(resp)["message"]
    bad = {"migrate": {"host": "h"}}
    old = await api.call("POST", f"/servers/{uuid}/action", bad, token="admin", version="2.55")
    assert old.status_code == 400
