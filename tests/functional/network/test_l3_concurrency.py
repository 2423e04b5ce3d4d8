"""Routers and floating IPs under concurrent requests, on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

from tests.functional.network.conftest import PROJECTS, Neutron, error_of


async def _warm(api: Neutron) -> None:
    await asyncio.gather(*(api.call("GET", "/v2.0/routers") for _ in range(30)))


async def _routed(api: Neutron) -> dict[str, Any]:
    ext = await api.network(**{"router:external": True})
    await api.subnet(ext, "172.24.4.0/24")
    net = await api.network(token="alice")
    sub = await api.subnet(net, "10.0.0.0/24", token="alice")
    body = {"router": {"external_gateway_info": {"network_id": ext["id"]}}}
    router = (await api.call("POST", "/v2.0/routers", body, token="alice")).json()["router"]
    return {"ext": ext, "net": net, "sub": sub, "router": router}


async def test_concurrent_floating_ips_never_exceed_the_quota(any_api: Neutron) -> None:
    top = await _routed(any_api)
    alice = PROJECTS["alice"]
    await any_api.call("PUT", f"/v2.0/quotas/{alice}", {"quota": {"floatingip": 5}})
    await _warm(any_api)
    body = {"floatingip": {"floating_network_id": top["ext"]["id"]}}
    replies = await asyncio.gather(
        *(any_api.call("POST", "/v2.0/floatingips", body, token="alice") for _ in range(20))
    )
    assert Counter(r.status_code for r in replies) == {201: 5, 409: 15}
    assert {error_of(r)[1] for r in replies if r.status_code == 409} == {"OverQuota"}
    listed = (await any_api.call("GET", "/v2.0/floatingips", token="alice")).json()
    assert len(listed["floatingips"]) == 5
    ports = await any_api.call("GET", "/v2.0/ports", params={"device_owner": "network:floatingip"})
    assert len(ports.json()["ports"]) == 5  # refused creates left no port behind


async def test_concurrent_routers_never_exceed_the_quota(any_api: Neutron) -> None:
    alice = PROJECTS["alice"]
    await any_api.call("PUT", f"/v2.0/quotas/{alice}", {"quota": {"router": 3}})
    await _warm(any_api)
    replies = await asyncio.gather(
        *(any_api.call("POST", "/v2.0/routers", {"router": {}}, token="alice") for _ in range(10))
    )
    assert Counter(r.status_code for r in replies) == {201: 3, 409: 7}


async def test_one_fixed_ip_associated_at_once_gets_one_floating_ip(any_api: Neutron) -> None:
    top = await _routed(any_api)
    path = f"/v2.0/routers/{top['router']['id']}/add_router_interface"
    await any_api.call("PUT", path, {"subnet_id": top["sub"]["id"]}, token="alice")
    port = await any_api.port(top["net"], token="alice")
    body = {"floatingip": {"floating_network_id": top["ext"]["id"]}}
    fips = [
        (await any_api.call("POST", "/v2.0/floatingips", body, token="alice")).json()["floatingip"]
        for _ in range(2)
    ]
    await _warm(any_api)
    change = {"floatingip": {"port_id": port["id"]}}
    replies = await asyncio.gather(
        *(any_api.call("PUT", f"/v2.0/floatingips/{f['id']}", change, token="alice") for f in fips)
    )
    assert Counter(r.status_code for r in replies) == {200: 1, 409: 1}
    loser = next(r for r in replies if r.status_code == 409)
    assert error_of(loser)[1] == "FloatingIPPortAlreadyAssociated"
    listed = await any_api.call("GET", "/v2.0/floatingips", params={"port_id": port["id"]})
    assert len(listed.json()["floatingips"]) == 1


async def test_one_subnet_attached_twice_at_once_gets_one_interface(any_api: Neutron) -> None:
    top = await _routed(any_api)
    router = top["router"]
    path = f"/v2.0/routers/{router['id']}/add_router_interface"
    await _warm(any_api)
    replies = await asyncio.gather(
        *(
            any_api.call("PUT", path, {"subnet_id": top["sub"]["id"]}, token="alice")
            for _ in range(2)
        )
    )
    assert sorted(r.status_code for r in replies) == [200, 400]
    ports = await any_api.call(
        "GET",
        "/v2.0/ports",
        params={"device_id": router["id"], "device_owner": "network:router_interface"},
    )
    assert len(ports.json()["ports"]) == 1
