"""Quotas: Neutron's defaults, per-project limits, usage details, and OverQuota."""

from __future__ import annotations

import pytest

from tests.functional.network.conftest import PROJECTS, Neutron, error_of


@pytest.fixture
def api(any_api: Neutron) -> Neutron:
    """These write paths run on SQLite and on PostgreSQL."""
    return any_api


DEFAULTS = {
    "network": 100, "subnet": 100, "subnetpool": -1, "port": 500, "router": 10,
    "floatingip": 50, "security_group": 10, "security_group_rule": 100, "rbac_policy": 10,
}  # fmt: skip


async def test_defaults_show_and_details(api: Neutron) -> None:
    alice = PROJECTS["alice"]
    shown = await api.call("GET", f"/v2.0/quotas/{alice}", token="alice")
    assert shown.json() == {"quota": DEFAULTS}
    defaults = await api.call("GET", f"/v2.0/quotas/{alice}/default", token="alice")
    assert defaults.json() == {"quota": DEFAULTS}
    await api.network(token="alice")
    details = (await api.call("GET", f"/v2.0/quotas/{alice}/details", token="alice")).json()
    assert details["quota"]["network"] == {"limit": 100, "used": 1, "reserved": 0}
    others = await api.call("GET", f"/v2.0/quotas/{PROJECTS['bob']}", token="alice")
    assert error_of(others)[:2] == (403, "PolicyNotAuthorized")


async def test_admins_set_and_reset_limits(api: Neutron) -> None:
    alice = PROJECTS["alice"]
    resp = await api.call("PUT", f"/v2.0/quotas/{alice}", {"quota": {"network": 2, "port": 7}})
    assert resp.json()["quota"] == {**DEFAULTS, "network": 2, "port": 7}
    listed = (await api.call("GET", "/v2.0/quotas")).json()["quotas"]
    assert [(q["project_id"], q["network"]) for q in listed] == [(alice, 2)]
    body = {"quota": {"network": 50}}
    refused = await api.call("PUT", f"/v2.0/quotas/{alice}", body, token="alice")
    assert error_of(refused)[:2] == (403, "PolicyNotAuthorized")
    bad = await api.call("PUT", f"/v2.0/quotas/{alice}", {"quota": {"network": -2}})
    assert error_of(bad)[:2] == (400, "HTTPBadRequest")
    unknown = await api.call("PUT", f"/v2.0/quotas/{alice}", {"quota": {"volumes": 2}})
    assert error_of(unknown) == (400, "HTTPBadRequest", "Unrecognized attribute(s) 'volumes'")
    assert (await api.call("DELETE", f"/v2.0/quotas/{alice}")).status_code == 204
    assert (await api.call("GET", f"/v2.0/quotas/{alice}")).json() == {"quota": DEFAULTS}


async def test_over_quota_is_409_and_leaves_nothing_behind(api: Neutron) -> None:
    alice = PROJECTS["alice"]
    await api.call("PUT", f"/v2.0/quotas/{alice}", {"quota": {"network": 1, "port": 1}})
    net = await api.network(token="alice")
    resp = await api.call("POST", "/v2.0/networks", {"network": {"name": "two"}}, token="alice")
    assert error_of(resp) == (409, "OverQuota", "Quota exceeded for resources: ['network'].")
    await api.subnet(net, token="alice")
    await api.port(net, token="alice")
    resp = await api.call("POST", "/v2.0/ports", {"port": {"network_id": net["id"]}}, token="alice")
    assert error_of(resp)[:2] == (409, "OverQuota")
    ports = (await api.call("GET", "/v2.0/ports", token="alice")).json()["ports"]
    assert len(ports) == 1
    availability = (await api.call("GET", f"/v2.0/network-ip-availabilities/{net['id']}")).json()
    assert availability["network_ip_availability"]["used_ips"] == 1, "no address leaked"
    nets = (await api.call("GET", "/v2.0/networks", token="alice")).json()["networks"]
    assert [n["name"] for n in nets] == [net["name"]]


async def test_a_bulk_create_over_quota_creates_none(api: Neutron) -> None:
    await api.call("PUT", f"/v2.0/quotas/{PROJECTS['alice']}", {"quota": {"network": 2}})
    body = {"networks": [{"name": "a"}, {"name": "b"}, {"name": "c"}]}
    resp = await api.call("POST", "/v2.0/networks", body, token="alice")
    assert error_of(resp)[:2] == (409, "OverQuota")
    assert (await api.call("GET", "/v2.0/networks", token="alice")).json()["networks"] == []


async def test_a_limit_below_usage_needs_force(api: Neutron) -> None:
    alice = PROJECTS["alice"]
    await api.network(token="alice")
    await api.network(token="alice")
    body = {"quota": {"network": 1, "check_limit": True}}
    below = await api.call("PUT", f"/v2.0/quotas/{alice}", body)
    assert error_of(below) == (
        400,
        "HTTPBadRequest",
        "Quota limit 1 for network must be greater than or equal to already used 2",
    )
    forced = await api.call(
        "PUT", f"/v2.0/quotas/{alice}", {"quota": {"network": 1, "force": True}}
    )
    assert forced.json()["quota"]["network"] == 1
