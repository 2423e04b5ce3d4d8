"""Junk sent to every networking route gets a 4xx with a Neutron error body, never a 500."""

from __future__ import annotations

import re
from typing import Any

import pytest

from nimbostack.network.api import (
    address_groups,
    floating_ips,
    networks,
    ports,
    rbac,
    routers,
    security_groups,
    subnetpools,
    subnets,
)
from nimbostack.network.api.routes import ROUTES
from tests.functional.network.conftest import PROJECTS, Neutron

# Unwatched: each test writes thousands of rows into one SQLite file, and the commit
# that crosses the WAL's checkpoint threshold copies and syncs it (up to ~250 ms, most
# of it system time). What one request costs is watched in the other modules.
pytestmark = pytest.mark.loop_watch_ms(0)

BODIES: list[Any] = [
    None,
    [],
    "text",
    {"network": []},
    {"port": {"network_id": 5, "fixed_ips": "x", "mac_address": 7}},
    {"subnet": {"network_id": "00000000-0000-0000-0000-000000000000", "ip_version": "x",
                "cidr": 1, "allocation_pools": [{"start": 1}], "host_routes": "x"}},
    {"security_group_rule": {"security_group_id": [], "direction": {}, "protocol": 1.5,
                             "port_range_min": "a"}},
    {"quota": {"port": "many"}},
    {"tags": "x"},
    {"addresses": [1]},
    {"rbac_policy": {"object_type": "nothing", "object_id": "x", "action": 3}},
]  # fmt: skip
QUERIES = [
    {"limit": "-5"},
    {"marker": "nope", "limit": "1"},
    {"sort_key": "colour", "sort_dir": "up"},
    {"fixed_ips": "mac=1"},
    {"admin_state_up": "perhaps"},
    {"tags": ""},
    {"fields": "nonexistent"},
]


MISSING = "00000000-0000-0000-0000-000000000000"


async def _existing(api: Neutron) -> dict[str, str]:
    """Ids of real resources of alice's, by the route parameter that names them."""
    net = await api.network(token="alice")
    sub = await api.subnet(net, token="alice")
    port = await api.port(net, token="alice")
    group = await api.create("security_group", "alice", name="g")
    rule = group["security_group_rules"][0]
    pool = await api.create("subnetpool", "alice", name="p", prefixes=["10.9.0.0/16"])
    ag = await api.create("address_group", "alice", name="a", addresses=["10.1.0.0/16"])
    policy = await api.create(
        "rbac_policy", "alice", object_type="network", object_id=net["id"],
        action="access_as_shared", target_tenant=PROJECTS["bob"],
    )  # fmt: skip
    router = await api.call("POST", "/v2.0/routers", {"router": {"name": "r"}}, token="alice")
    ext = await api.network(**{"router:external": True})
    await api.subnet(ext, "172.24.4.0/24")
    body = {"floatingip": {"floating_network_id": ext["id"]}}
    fip = await api.call("POST", "/v2.0/floatingips", body, token="alice")
    return {
        "router_id": router.json()["router"]["id"],
        "floatingip_id": fip.json()["floatingip"]["id"],
        "network_id": net["id"], "subnet_id": sub["id"], "port_id": port["id"],
        "security_group_id": group["id"], "rule_id": rule["id"], "pool_id": pool["id"],
        "ag_id": ag["id"], "policy_id": policy["id"], "project_id": PROJECTS["alice"],
        "alias": "security-group", "tag": "t",
    }  # fmt: skip


def _path(route: Any, ids: dict[str, str]) -> str:
    plural = route.path.split("/")[2] if route.path.count("/") > 1 else ""
    taggable = {"networks": "network_id", "subnets": "subnet_id", "ports": "port_id",
                "subnetpools": "pool_id", "security-groups": "security_group_id",
                "routers": "router_id", "floatingips": "floatingip_id"}  # fmt: skip

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == "resource_id":
            return ids.get(taggable[plural], MISSING)
        return ids.get(name, MISSING)

    return re.sub(r"\{([^}]+)\}", value, route.path)


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{r.method} {r.path}")
async def test_junk_never_breaks_a_route(api: Neutron, route: Any) -> None:
    ids = await _existing(api)
    for path in (_path(route, ids), _path(route, {})):
        await _junk(api, route, path)


async def _junk(api: Neutron, route: Any, path: str) -> None:
    for token in ("admin", "alice", "bob"):
        if route.method in ("POST", "PUT"):
            for body in BODIES:
                resp = await api.call(route.method, path, body, token=token)
                _assert_clean(resp, route.path, body)
        else:
            for params in QUERIES:
                resp = await api.call(route.method, path, token=token, params=params)
                _assert_clean(resp, route.path, params)


def _assert_clean(resp: Any, *what: Any) -> None:
    """No server error, and any refusal carries Neutron's error body."""
    assert resp.status_code < 500, (*what, resp.text)
    if resp.status_code >= 400:
        assert set(resp.json()["NeutronError"]) == {"type", "message", "detail"}, (*what, resp.text)


BODIES_BY_PLURAL = {
    "networks": networks.NETWORK,
    "subnets": subnets.SUBNET,
    "ports": ports.PORT,
    "subnetpools": subnetpools.POOL,
    "security-groups": security_groups.GROUP,
    "security-group-rules": security_groups.RULE,
    "address-groups": address_groups.GROUP,
    "rbac-policies": rbac.POLICY,
    "routers": routers.ROUTER,
    "floatingips": floating_ips.FLOATINGIP,
}
ID_KEYS = {
    "networks": "network_id",
    "subnets": "subnet_id",
    "ports": "port_id",
    "subnetpools": "pool_id",
    "security-groups": "security_group_id",
    "security-group-rules": "rule_id",
    "address-groups": "ag_id",
    "rbac-policies": "policy_id",
    "routers": "router_id",
    "floatingips": "floatingip_id",
}
JUNK: list[Any] = [None, "", -1, 0, 10**12, 1.5, True, [], [{}], [None], {}, {"a": 1}, "x" * 300]


@pytest.mark.parametrize("plural", sorted(BODIES_BY_PLURAL))
async def test_each_attribute_with_junk_values(api: Neutron, plural: str) -> None:
    """Junk in any one attribute is refused cleanly, and a refusal writes nothing."""
    body = BODIES_BY_PLURAL[plural]
    ids = await _existing(api)
    path = f"/v2.0/{plural}/{ids[ID_KEYS[plural]]}"
    await api.create("security_group", name="first")  # admin's default group made now
    before, accepted = await _count(api, plural), 0
    for attr in body.attrs:
        for junk in JUNK:
            item = {attr.name: junk}
            created = await api.call("POST", f"/v2.0/{plural}", {body.singular: item})
            _assert_clean(created, plural, item)
            accepted += created.status_code == 201
            if attr.put:
                shown = (await api.call("GET", path, token="alice")).json()
                updated = await api.call("PUT", path, {body.singular: item}, token="alice")
                _assert_clean(updated, plural, item)
                if updated.status_code >= 400:
                    after = (await api.call("GET", path, token="alice")).json()
                    assert after == shown, (plural, item)
    assert await _count(api, plural) == before + accepted


async def _count(api: Neutron, plural: str) -> int:
    listed = await api.call("GET", f"/v2.0/{plural}")
    assert listed.status_code == 200, listed.text
    return len(listed.json()[plural.replace("-", "_")])


HUGE = "99999999999999999999"


async def test_integers_beyond_their_columns_are_refused_or_match_nothing(api: Neutron) -> None:
    net = await api.network(token="alice")
    limit = await api.call("GET", "/v2.0/networks", params={"limit": HUGE})
    assert limit.status_code == 400, limit.text
    for query in ({"provider:segmentation_id": "²"}, {"provider:segmentation_id": HUGE}):
        listed = await api.call("GET", "/v2.0/networks", params=query)
        assert listed.status_code == 200 and listed.json()["networks"] == [], listed.text
    for version in ("²", HUGE):
        listed = await api.call(
            "GET", "/v2.0/network-ip-availabilities", params={"ip_version": version}
        )
        assert listed.status_code == 200, listed.text
    revision = {"If-Match": f"revision_number={HUGE}"}
    put = await api.call("PUT", f"/v2.0/networks/{net['id']}", {"network": {"name": "n"}},
                         token="alice", headers=revision)  # fmt: skip
    assert put.status_code == 400, put.text
    for name, value in (("mtu", 2**40), ("mtu", HUGE)):
        made = await api.call("PUT", f"/v2.0/networks/{net['id']}", {"network": {name: value}})
        assert made.status_code == 400, made.text
    sized = await api.call("GET", "/v2.0/subnets", params={"ip_version": HUGE})
    assert sized.status_code == 400 and "is not an integer" in sized.text, sized.text


async def test_tags_with_control_characters_are_refused_and_not_stored(api: Neutron) -> None:
    net = await api.network(token="alice")
    path = f"/v2.0/networks/{net['id']}/tags"
    one = await api.call("PUT", f"{path}/a%0d%0aX:1", token="alice")
    many = await api.call("PUT", path, {"tags": ["ok", "b\x7f"]}, token="alice")
    made = await api.call("POST", "/v2.0/networks", {"network": {"tags": ["\x1b[2J"]}})
    assert [r.status_code for r in (one, many, made)] == [400, 400, 400]
    assert (await api.call("GET", path, token="alice")).json()["tags"] == []
    emoji = await api.call("PUT", f"{path}/%F0%9F%98%80", token="alice")
    assert emoji.status_code == 201
    assert (await api.call("GET", path, token="alice")).json()["tags"] == ["\U0001f600"]
