"""Every read-then-write path under concurrent requests, on SQLite and on PostgreSQL.

Each test fires its requests at once (``asyncio.gather``) through the real app: on
PostgreSQL they run in parallel transactions, so only the locks and constraints keep
the answers right.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

from tests.functional.network.conftest import PROJECTS, Neutron, error_of, network_conf, serve


async def _warm(api: Neutron) -> None:
    """Open the connection pool first, so the requests under test start together."""
    await asyncio.gather(*(api.call("GET", "/v2.0/networks") for _ in range(30)))


async def _post(api: Neutron, plural: str, body: dict[str, Any], token: str = "alice") -> Any:
    return await api.call("POST", f"/v2.0/{plural}", body, token=token)


async def _shared_with_bob(api: Neutron, **subnet: Any) -> dict[str, Any]:
    """Alice's network with a subnet, shared with bob (so two projects' creates race)."""
    net = await api.network(token="alice")
    await api.subnet(net, "10.0.0.0/24", token="alice", **subnet)
    await api.create(
        "rbac_policy",
        "alice",
        object_type="network",
        object_id=net["id"],
        action="access_as_shared",
        target_tenant=PROJECTS["bob"],
    )
    return net


async def test_200_concurrent_ports_get_200_distinct_addresses(any_api: Neutron) -> None:
    # A pool of exactly 200 addresses: .10 to .209.
    pool = [{"start": "10.0.0.10", "end": "10.0.0.209"}]
    net = await _shared_with_bob(any_api, allocation_pools=pool)
    body = {"port": {"network_id": net["id"]}}
    await _warm(any_api)
    tokens = ["alice", "bob"] * 100
    replies = await asyncio.gather(*(_post(any_api, "ports", body, t) for t in tokens))
    assert [r.status_code for r in replies] == [201] * 200, replies[0].text
    addresses = [r.json()["port"]["fixed_ips"][0]["ip_address"] for r in replies]
    macs = [r.json()["port"]["mac_address"] for r in replies]
    assert len(set(addresses)) == 200 and len(set(macs)) == 200
    assert {int(a.rsplit(".", 1)[1]) for a in addresses} == set(range(10, 210))
    full = await _post(any_api, "ports", body)
    assert error_of(full)[:2] == (409, "IpAddressGenerationFailure")


async def test_the_same_fixed_ip_asked_at_once_is_given_once(any_api: Neutron) -> None:
    net = await _shared_with_bob(any_api)
    wanted = {"network_id": net["id"], "fixed_ips": [{"ip_address": "10.0.0.50"}]}
    # Each on behalf of another project, so only the network's lock orders them.
    bodies = [{"port": {**wanted, "project_id": f"{n:032x}"}} for n in range(12)]
    await _warm(any_api)
    replies = await asyncio.gather(*(_post(any_api, "ports", b, "admin") for b in bodies))
    assert Counter(r.status_code for r in replies) == {201: 1, 409: 11}
    kinds = {error_of(r)[1] for r in replies if r.status_code == 409}
    assert kinds == {"IpAddressAlreadyAllocated"}


async def test_concurrent_creates_never_exceed_a_quota(any_api: Neutron) -> None:
    alice = PROJECTS["alice"]
    await any_api.call("PUT", f"/v2.0/quotas/{alice}", {"quota": {"network": 5}})
    await _warm(any_api)
    replies = await asyncio.gather(
        *(_post(any_api, "networks", {"network": {"name": f"n{i}"}}) for i in range(20))
    )
    assert Counter(r.status_code for r in replies) == {201: 5, 409: 15}
    listed = (await any_api.call("GET", "/v2.0/networks", token="alice")).json()["networks"]
    assert len(listed) == 5


async def test_concurrent_networks_share_out_a_vni_range(any_url: str) -> None:
    conf = network_conf(ml2_type_vxlan={"vni_ranges": ["100:109"]})
    async for api in serve(any_url, conf):
        await _warm(api)
        replies = await asyncio.gather(
            *(_post(api, "networks", {"network": {}}, token="admin") for _ in range(15))
        )
        assert Counter(r.status_code for r in replies) == {201: 10, 503: 5}
        vnis = [
            r.json()["network"]["provider:segmentation_id"] for r in replies if r.status_code == 201
        ]
        assert sorted(vnis) == list(range(100, 110))


async def test_twenty_first_requests_make_exactly_one_default_group(any_api: Neutron) -> None:
    net = await any_api.network(token="admin", shared=True)
    await any_api.subnet(net, token="admin")
    await _warm(any_api)
    lists = [any_api.call("GET", "/v2.0/security-groups", token="bob") for _ in range(10)]
    ports = [_post(any_api, "ports", {"port": {"network_id": net["id"]}}, "bob") for _ in range(10)]
    replies = await asyncio.gather(*lists, *ports)
    assert all(r.status_code in (200, 201) for r in replies), [r.text for r in replies]
    groups = (await any_api.call("GET", "/v2.0/security-groups", token="bob")).json()
    defaults = [g for g in groups["security_groups"] if g["name"] == "default"]
    assert len(defaults) == 1
    port_groups = {tuple(r.json()["port"]["security_groups"]) for r in replies[10:]}
    assert port_groups == {(defaults[0]["id"],)}


async def test_the_same_rule_added_at_once_is_added_once(any_api: Neutron) -> None:
    group = await any_api.create("security_group", "alice", name="web")
    rule = {
        "security_group_id": group["id"], "direction": "ingress", "protocol": "tcp",
        "port_range_min": 80, "port_range_max": 80,
    }  # fmt: skip
    # Each on behalf of another project, so only the group's lock orders them.
    bodies = [{"security_group_rule": {**rule, "project_id": f"{n:032x}"}} for n in range(8)]
    await _warm(any_api)
    replies = await asyncio.gather(
        *(_post(any_api, "security-group-rules", b, "admin") for b in bodies)
    )
    assert Counter(r.status_code for r in replies) == {201: 1, 409: 7}


async def test_a_port_racing_a_network_delete_never_lands_on_a_deleted_network(
    any_api: Neutron,
) -> None:
    net = await _shared_with_bob(any_api)
    await _warm(any_api)
    deleting = any_api.call("DELETE", f"/v2.0/networks/{net['id']}", token="admin")
    creating = [
        _post(any_api, "ports", {"port": {"network_id": net["id"]}}, "bob") for _ in range(5)
    ]
    delete, *ports = await asyncio.gather(deleting, *creating)
    made = [p for p in ports if p.status_code == 201]
    refused = [p for p in ports if p.status_code != 201]
    assert all(error_of(p)[:2] == (404, "NetworkNotFound") for p in refused), refused
    if delete.status_code == 204:
        assert not made, "a port was created on a network deleted before it"
    else:
        assert error_of(delete)[:2] == (409, "NetworkInUse") and made
