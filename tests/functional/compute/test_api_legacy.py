"""Deprecated families old clients still call: extensions, os-hosts, audit log, os-networks,
hypervisor search, the v2.0 version document."""

from __future__ import annotations

import pytest

from tests.functional.compute.api_support import Compute, api, fault

__all__ = ["api"]


async def test_v2_version_document(api: Compute) -> None:
    resp = await api.client.get("/v2/")
    version = resp.json()["version"]
    assert resp.status_code == 200 and version["id"] == "v2.0"
    assert version["media-types"][0]["type"].endswith("version=2")


async def test_extensions_list_and_show(api: Compute) -> None:
    listed = (await api.call("GET", "/extensions")).json()["extensions"]
    assert "Hosts" in {e["name"] for e in listed}
    shown = await api.call("GET", "/extensions/os-consoles")
    assert shown.json()["extension"]["alias"] == "os-consoles"
    missing = await api.call("GET", "/extensions/os-nope")
    assert missing.status_code == 404 and "os-nope" in fault(missing)["message"]


async def test_hosts_list_filter_show_and_policy(api: Compute) -> None:
    await api.add_host("host1")
    await api.active()
    hosts = (await api.call("GET", "/os-hosts", token="admin", version="2.42")).json()["hosts"]
    assert {"host_name": "host1", "service": "compute", "zone": "nova"} in hosts
    none = await api.call("GET", "/os-hosts", token="admin", version="2.42", params={"zone": "x"})
    assert none.json()["hosts"] == []
    shown = (await api.call("GET", "/os-hosts/host1", token="admin", version="2.42")).json()
    by_project = {r["resource"]["project"]: r["resource"] for r in shown["host"]}
    assert by_project["(total)"]["cpu"] == 64
    assert by_project["project-a"]["memory_mb"] == 128
    denied = await api.call("GET", "/os-hosts", version="2.42")
    assert denied.status_code == 403
    gone = await api.call("GET", "/os-hosts", token="admin", version="2.43")
    assert gone.status_code == 404


async def test_host_update_and_power_actions(api: Compute) -> None:
    await api.add_host("host1")
    admin = {"token": "admin", "version": "2.42"}
    done = await api.call("PUT", "/os-hosts/host1", {"status": "disable"}, **admin)
    assert done.json() == {"host": "host1", "status": "disabled"}
    services = (await api.call("GET", "/os-services", token="admin")).json()["services"]
    assert services[0]["status"] == "disabled"
    bad = await api.call("PUT", "/os-hosts/host1", {"status": "invalid"}, **admin)
    assert bad.status_code == 400
    empty = await api.call("PUT", "/os-hosts/host1", {}, **admin)
    assert empty.status_code == 400
    missing = await api.call("PUT", "/os-hosts/nohost", {"status": "enable"}, **admin)
    assert missing.status_code == 404
    maintenance = await api.call("PUT", "/os-hosts/host1", {"maintenance_mode": "enable"}, **admin)
    assert maintenance.status_code == 501
    assert (await api.call("GET", "/os-hosts/host1/reboot", **admin)).status_code == 501
    assert (await api.call("GET", "/os-hosts/nohost/startup", **admin)).status_code == 404


async def test_usage_audit_log_reports_hosts_not_run(api: Compute) -> None:
    await api.add_host("host1")
    listed = await api.call("GET", "/os-instance_usage_audit_log", token="admin")
    log = listed.json()["instance_usage_audit_logs"]
    assert log["num_hosts"] == 1 and log["hosts_not_run"] == ["host1"]
    shown = await api.call(
        "GET", "/os-instance_usage_audit_log/2026-03-15%2010%3A00%3A00", token="admin"
    )
    one = shown.json()["instance_usage_audit_log"]
    assert (one["period_beginning"], one["period_ending"]) == (
        "2026-02-01 00:00:00",
        "2026-03-01 00:00:00",
    )
    bad = await api.call("GET", "/os-instance_usage_audit_log/invalid_time", token="admin")
    assert bad.status_code == 400 and "Invalid timestamp" in fault(bad)["message"]
    assert (await api.call("GET", "/os-instance_usage_audit_log")).status_code == 403


async def test_networks_are_empty_without_a_network_service(api: Compute) -> None:
    listed = await api.call("GET", "/os-networks", version="2.35")
    assert listed.json() == {"networks": []}
    assert (await api.call("GET", "/os-networks/n1", version="2.35")).status_code == 404
    assert (await api.call("GET", "/os-networks", version="2.36")).status_code == 404


@pytest.mark.parametrize("path", ["search", "servers"])
async def test_hypervisor_search_and_servers_before_2_53(api: Compute, path: str) -> None:
    await api.add_host("host1")
    uuid = await api.active()
    found = await api.call("GET", f"/os-hypervisors/host1/{path}", token="admin", version="2.52")
    hypervisor = found.json()["hypervisors"][0]
    assert hypervisor["hypervisor_hostname"] == "host1-node"
    if path == "servers":
        assert hypervisor["servers"][0]["uuid"] == uuid
    none = await api.call("GET", f"/os-hypervisors/zzz/{path}", token="admin", version="2.52")
    assert none.status_code == 404
    denied = await api.call("GET", f"/os-hypervisors/host1/{path}", version="2.52")
    assert denied.status_code == 403
    later = await api.call("GET", f"/os-hypervisors/host1/{path}", token="admin", version="2.53")
    assert later.status_code == 404


async def test_usage_with_an_empty_project_is_404(api: Compute) -> None:
    resp = await api.call("GET", "/os-simple-tenant-usage/", token="admin")
    assert resp.status_code == 404
