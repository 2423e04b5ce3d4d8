"""``/v2.0/subnets``: IPv4 and IPv6 subnets, from a CIDR or carved out of a subnet pool."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from nimbostack.core.api.request import ApiRequest
from nimbostack.core.api.responses import empty, json_response
from nimbostack.network.api import access, dhcp_hooks, listing
from nimbostack.network.api.attributes import (
    ID,
    OWNER,
    REQUIRED,
    STANDARD_READ_ONLY,
    UNSET,
    Attr,
    Body,
    standard,
)
from nimbostack.network.api.context import if_match, scope
from nimbostack.network.api.tags import TAGS_ATTR
from nimbostack.network.api.validators import (
    boolean,
    choice,
    cidr,
    dict_of,
    integer,
    ip_address,
    list_of,
    nullable,
    uuid_str,
)
from nimbostack.network.extensions import Extension
from nimbostack.network.objects import dhcp_agents, networks, subnet_writes, subnets
from nimbostack.network.objects.scope import Scope
from nimbostack.network.state import state_of

EXTENSIONS = (
    Extension(
        "subnet-external-network",
        "Subnet belongs to an external network",
        "Informs if the subnet belongs to an external network",
        "2024-02-05T18:00:00-00:00",
    ),
)

IPV6_MODES = ("slaac", "dhcpv6-stateful", "dhcpv6-stateless")


def _ip_version(value: Any) -> int:
    version = integer()(value)
    return int(choice(4, 6)(version))


def _pool(value: Any) -> dict[str, str]:
    entry = dict_of(("start", "end"))(value)
    return {"start": ip_address(entry["start"]), "end": ip_address(entry["end"])}


def _route(value: Any) -> dict[str, str]:
    entry = dict_of(("destination", "nexthop"))(value)
    return {"destination": cidr(entry["destination"]), "nexthop": ip_address(entry["nexthop"])}


SUBNET = Body(
    "subnet",
    "subnets",
    (
        ID,
        *STANDARD_READ_ONLY,
        *standard(),
        *OWNER,
        Attr("network_id", uuid_str, REQUIRED),
        Attr("ip_version", _ip_version, REQUIRED),
        Attr("cidr", nullable(cidr), UNSET),
        Attr("prefixlen", integer(0, 128), UNSET),
        Attr("subnetpool_id", nullable(uuid_str), UNSET),
        Attr("use_default_subnetpool", boolean, False),
        Attr("gateway_ip", nullable(ip_address), UNSET, put=True),
        Attr("allocation_pools", list_of(_pool), UNSET, put=True),
        Attr("dns_nameservers", list_of(ip_address, unique=True), [], put=True),
        Attr("host_routes", list_of(_route), [], put=True),
        Attr("enable_dhcp", boolean, True, put=True),
        Attr("ipv6_ra_mode", nullable(choice(*IPV6_MODES)), UNSET),
        Attr("ipv6_address_mode", nullable(choice(*IPV6_MODES)), UNSET),
        TAGS_ATTR,
    ),
)
_HIDDEN = ("network:project_id", "shared")


def target(view: dict[str, Any]) -> dict[str, Any]:
    return {key: view[key] for key in ("project_id", "router:external", *_HIDDEN)}


def _present(shown: access.Shown, view: dict[str, Any]) -> dict[str, Any]:
    item = shown.strip(view, target(view))
    for key in _HIDDEN:
        item.pop(key, None)
    return item


async def list_subnets(req: ApiRequest) -> Response:
    caller = scope(req)
    lreq = listing.parse(req, subnets.TABLE)
    async with state_of(req).db.reader() as s:
        found = await subnets.search(s, caller, lreq)
    shown = access.Shown(req, "get_subnet", SUBNET)
    items = [_present(shown, v) for v in found if shown.visible(target(v))]
    return listing.answer(req, "subnets", items, lreq)


async def _show(req: ApiRequest, caller: Scope, subnet_id: str) -> dict[str, Any]:
    async with state_of(req).db.reader() as s:
        view = await subnets.find(s, caller, subnet_id)
    shown = access.Shown(req, "get_subnet", SUBNET)
    shown.one(view, target(view))
    return listing.select_fields(_present(shown, view), listing.fields_of(req))


async def show_subnet(req: ApiRequest) -> Response:
    return json_response({"subnet": await _show(req, scope(req), req.param("subnet_id"))})


async def create_subnet(req: ApiRequest) -> Response:
    state = state_of(req)
    items, bulk = await SUBNET.create(req)
    caller = scope(req)
    async with state.db.reader() as s:
        nets = [await networks.find(s, caller, item["network_id"]) for item in items]
    for item, net in zip(items, nets, strict=True):
        policy_target = {
            **item,
            "network:project_id": net["project_id"],
            "shared": net["shared"],
            "router:external": net["router:external"],
        }
        access.enforce(req, "create_subnet", policy_target)
        access.check_attributes(req, "create", SUBNET, item, policy_target)
    async with state.db.session() as s:
        ids = [
            await subnet_writes.create(s, state.conf, caller, item, item["network_id"])
            for item in items
        ]
        for net_id in dict.fromkeys(item["network_id"] for item in items):
            await dhcp_agents.schedule(s, net_id, state.agent_down_time)
    for net_id in dict.fromkeys(item["network_id"] for item in items):
        await dhcp_hooks.network_changed(req, state, net_id)
    views = [await _show(req, Scope.admin(), subnet_id) for subnet_id in ids]
    return SUBNET.created(views, bulk)


async def update_subnet(req: ApiRequest) -> Response:
    state = state_of(req)
    subnet_id = req.param("subnet_id")
    changes = await SUBNET.update(req)
    caller = scope(req)
    async with state.db.reader() as s:
        current = await subnets.find(s, caller, subnet_id)
    access.enforce_change(req, "update_subnet", "get_subnet", target(current))
    async with state.db.session() as s:
        await subnet_writes.update(
            s, state.conf, caller, subnet_id, changes, expected=if_match(req)
        )
        await dhcp_agents.schedule(s, current["network_id"], state.agent_down_time)
    await dhcp_hooks.network_changed(req, state, current["network_id"])
    return json_response({"subnet": await _show(req, caller, subnet_id)})


async def delete_subnet(req: ApiRequest) -> Response:
    state = state_of(req)
    subnet_id = req.param("subnet_id")
    caller = scope(req)
    async with state.db.reader() as s:
        current = await subnets.find(s, caller, subnet_id)
    access.enforce_change(req, "delete_subnet", "get_subnet", target(current))
    async with state.db.session() as s:
        await subnet_writes.delete_subnet(s, caller, subnet_id, if_match(req))
    await dhcp_hooks.network_changed(req, state, current["network_id"])
    return empty(204)
