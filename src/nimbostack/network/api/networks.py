"""``/v2.0/networks``: list, show, create (one or bulk), update, delete."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from nimbostack.core.api.request import ApiRequest
from nimbostack.core.api.responses import empty, json_response
from nimbostack.network.api import access, dhcp_hooks, listing
from nimbostack.network.api.attributes import (
    ID,
    OWNER,
    STANDARD_READ_ONLY,
    UNSET,
    Attr,
    Body,
    read_only,
    standard,
)
from nimbostack.network.api.context import if_match, scope
from nimbostack.network.api.tags import TAGS_ATTR
from nimbostack.network.api.validators import (
    boolean,
    dict_of,
    dns_name,
    integer,
    list_of,
    nullable,
    string,
)
from nimbostack.network.extensions import Extension
from nimbostack.network.ml2.manager import NETWORK_TYPE, PHYSICAL_NETWORK, SEGMENTATION_ID
from nimbostack.network.objects import network_writes, networks
from nimbostack.network.objects.scope import Scope
from nimbostack.network.state import state_of

EXTENSIONS = (
    Extension(
        "external-net",
        "Neutron external network",
        "Adds external network attribute to network resource.",
        "2013-01-14T10:00:00-00:00",
    ),
    Extension(
        "provider",
        "Provider Network",
        "Expose mapping of virtual networks to physical networks",
        "2012-09-07T10:00:00-00:00",
    ),
    Extension(
        "multi-provider",
        "Multi Provider Network",
        "Expose mapping of virtual networks to multiple physical networks",
        "2013-06-27T10:00:00-00:00",
    ),
    Extension(
        "net-mtu",
        "Network MTU",
        "Provides MTU attribute for a network resource.",
        "2015-03-25T10:00:00-00:00",
    ),
    Extension(
        "net-mtu-writable",
        "Network MTU (writable)",
        "Provides a writable MTU attribute for a network resource.",
        "2017-07-12T00:00:00-00:00",
    ),
    Extension(
        "network_availability_zone",
        "Network Availability Zone",
        "Availability zone support for network.",
        "2015-01-01T10:00:00-00:00",
    ),
)


def _segment(value: Any) -> dict[str, Any]:
    entry: dict[str, Any] = dict_of((), (NETWORK_TYPE, PHYSICAL_NETWORK, SEGMENTATION_ID))(value)
    if entry.get(SEGMENTATION_ID) is not None:
        entry[SEGMENTATION_ID] = integer()(entry[SEGMENTATION_ID])
    return entry


NETWORK = Body(
    "network",
    "networks",
    (
        ID,
        *STANDARD_READ_ONLY,
        *read_only("status", "subnets", "availability_zones"),
        *standard(),
        *OWNER,
        Attr("admin_state_up", boolean, True, put=True),
        Attr("shared", boolean, False, put=True, policy=True),
        Attr("router:external", boolean, False, put=True, policy=True),
        # The external network auto-allocated topologies reach (one per cloud).
        Attr("is_default", boolean, False, put=True, policy=True),
        Attr("port_security_enabled", boolean, True, put=True, policy=True),
        Attr("mtu", nullable(integer()), UNSET, put=True),
        # Provider attributes: set on create only, and shown only to admins.
        Attr(NETWORK_TYPE, nullable(string(32)), UNSET, policy=True, shown_by_policy=True),
        Attr(PHYSICAL_NETWORK, nullable(string(64)), UNSET, policy=True, shown_by_policy=True),
        Attr(SEGMENTATION_ID, nullable(integer()), UNSET, policy=True, shown_by_policy=True),
        Attr("segments", nullable(list_of(_segment)), UNSET, policy=True, shown_by_policy=True),
        Attr("availability_zone_hints", list_of(string(255)), [], policy=True),
        Attr("dns_domain", dns_name, "", put=True),
        TAGS_ATTR,
    ),
)


def target(view: dict[str, Any]) -> dict[str, Any]:
    """What the network rules read: its owner, and whether it is shared or external."""
    return {
        "project_id": view["project_id"],
        "shared": view["shared"],
        "router:external": view["router:external"],
    }


def _shown(req: ApiRequest) -> access.Shown:
    return access.Shown(req, "get_network", NETWORK)


async def list_networks(req: ApiRequest) -> Response:
    caller = scope(req)
    lreq = listing.parse(req, networks.table(caller))
    async with state_of(req).db.reader() as s:
        found = await networks.search(s, caller, lreq)
    shown = _shown(req)
    items = [shown.strip(n, target(n)) for n in found if shown.visible(target(n))]
    return listing.answer(req, "networks", items, lreq)


async def show(req: ApiRequest, caller: Scope, net_id: str) -> dict[str, Any]:
    async with state_of(req).db.reader() as s:
        view = await networks.find(s, caller, net_id)
    return listing.select_fields(_shown(req).one(view, target(view)), listing.fields_of(req))


async def show_network(req: ApiRequest) -> Response:
    return json_response({"network": await show(req, scope(req), req.param("network_id"))})


async def create_network(req: ApiRequest) -> Response:
    state = state_of(req)
    items, bulk = await NETWORK.create(req)
    planned = []
    for item in items:
        policy_target = {"project_id": item["project_id"], **item}
        access.enforce(req, "create_network", policy_target)
        access.check_attributes(req, "create", NETWORK, item, policy_target)
        planned.append((item, state.types.requested(item)))
    async with state.db.session() as s:
        ids = [
            await network_writes.create(s, state.conf, state.types, item, segments)
            for item, segments in planned
        ]
    admin = Scope.admin()
    views = [await show(req, admin, net_id) for net_id in ids]
    return NETWORK.created(views, bulk)


async def update_network(req: ApiRequest) -> Response:
    state = state_of(req)
    net_id = req.param("network_id")
    changes = await NETWORK.update(req)
    caller = scope(req)
    async with state.db.reader() as s:
        current = await networks.find(s, caller, net_id)
    policy_target = {**target(current), **changes}
    access.enforce_change(req, "update_network", "get_network", target(current))
    access.check_attributes(req, "update", NETWORK, changes, policy_target, updating=True)
    async with state.db.session() as s:
        await network_writes.update(s, caller, state.types, net_id, changes, expected=if_match(req))
    await dhcp_hooks.network_changed(req, state, net_id)
    return json_response({"network": await show(req, caller, net_id)})


async def delete_network(req: ApiRequest) -> Response:
    state = state_of(req)
    net_id = req.param("network_id")
    caller = scope(req)
    async with state.db.reader() as s:
        current = await networks.find(s, caller, net_id)
    access.enforce_change(req, "delete_network", "get_network", target(current))
    async with state.db.session() as s:
        await network_writes.delete(s, caller, state.types, net_id, if_match(req))
    if state.agents is not None:
        await state.agents.network_delete(req.context, net_id)
    await dhcp_hooks.network_removed(req, state, net_id)
    return empty(204)
