"""``/v2.0/floatingips`` and ``/v2.0/floatingip_pools``: floating IPs and where they come from."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from nimbostack.core.api.request import ApiRequest
from nimbostack.core.api.responses import empty, json_response
from nimbostack.network.api import access, listing
from nimbostack.network.api.attributes import (
    ID,
    OWNER,
    REQUIRED,
    STANDARD_READ_ONLY,
    UNSET,
    Attr,
    Body,
    read_only,
)
from nimbostack.network.api.context import if_match, scope
from nimbostack.network.api.tags import TAGS_ATTR
from nimbostack.network.api.validators import ip_address, nullable, string, uuid_str
from nimbostack.network.extensions import Extension
from nimbostack.network.objects import fip_writes, floating_ips, subnets
from nimbostack.network.objects.scope import Scope
from nimbostack.network.state import state_of

EXTENSIONS = (
    Extension(
        "fip-port-details",
        "Floating IP Port Details Extension",
        "Add port_details attribute to Floating IP resource",
        "2018-04-09T10:00:00-00:00",
    ),
    Extension(
        "floatingip-pools",
        "Floating IP Pools Extension",
        "Provides a floating IP pools API.",
        "2018-03-21T10:00:00-00:00",
    ),
)

FLOATINGIP = Body(
    "floatingip",
    "floatingips",
    (
        ID,
        *STANDARD_READ_ONLY,
        *read_only("status", "router_id", "port_details"),
        Attr("description", string(255), "", put=True),
        *OWNER,
        Attr("floating_network_id", uuid_str, REQUIRED),
        Attr("floating_ip_address", ip_address, UNSET, policy=True),
        Attr("subnet_id", nullable(uuid_str), UNSET),
        Attr("port_id", nullable(uuid_str), UNSET, put=True),
        Attr("fixed_ip_address", nullable(ip_address), UNSET, put=True),
        TAGS_ATTR,
    ),
    bulk=False,
)


def target(view: dict[str, Any]) -> dict[str, Any]:
    return {"project_id": view["project_id"]}


def _shown(req: ApiRequest) -> access.Shown:
    return access.Shown(req, "get_floatingip", FLOATINGIP)


async def list_floatingips(req: ApiRequest) -> Response:
    caller = scope(req)
    lreq = listing.parse(req, floating_ips.TABLE)
    async with state_of(req).db.reader() as s:
        found = await floating_ips.search(s, caller, lreq)
    shown = _shown(req)
    items = [f for f in found if shown.visible(target(f))]
    return listing.answer(req, "floatingips", items, lreq)


async def show(req: ApiRequest, caller: Scope, fip_id: str) -> dict[str, Any]:
    async with state_of(req).db.reader() as s:
        view = await floating_ips.find(s, caller, fip_id)
    return listing.select_fields(_shown(req).one(view, target(view)), listing.fields_of(req))


async def show_floatingip(req: ApiRequest) -> Response:
    return json_response({"floatingip": await show(req, scope(req), req.param("floatingip_id"))})


async def create_floatingip(req: ApiRequest) -> Response:
    state = state_of(req)
    items, _ = await FLOATINGIP.create(req)
    item = items[0]
    policy_target = {"project_id": item["project_id"]}
    access.enforce(req, "create_floatingip", policy_target)
    access.check_attributes(req, "create", FLOATINGIP, item, policy_target)
    async with state.db.session() as s:
        fip_id = await fip_writes.create(s, state.conf, scope(req), item)
    view = await show(req, Scope.admin(), fip_id)
    await _changed(req, view["router_id"])
    return json_response({"floatingip": view}, 201)


async def update_floatingip(req: ApiRequest) -> Response:
    state = state_of(req)
    fip_id = req.param("floatingip_id")
    changes = await FLOATINGIP.update(req)
    caller = scope(req)
    async with state.db.reader() as s:
        current = await floating_ips.find(s, caller, fip_id)
    access.enforce_change(req, "update_floatingip", "get_floatingip", target(current))
    async with state.db.session() as s:
        await fip_writes.update(s, caller, fip_id, changes, if_match(req))
    view = await show(req, caller, fip_id)
    await _changed(req, current["router_id"], view["router_id"])
    return json_response({"floatingip": view})


async def delete_floatingip(req: ApiRequest) -> Response:
    state = state_of(req)
    fip_id = req.param("floatingip_id")
    caller = scope(req)
    async with state.db.reader() as s:
        current = await floating_ips.find(s, caller, fip_id)
    access.enforce_change(req, "delete_floatingip", "get_floatingip", target(current))
    async with state.db.session() as s:
        await fip_writes.delete_fip(s, caller, fip_id, if_match(req))
    await _changed(req, current["router_id"])
    return empty(204)


async def _changed(req: ApiRequest, *router_ids: str | None) -> None:
    """Tell the L3 agents of the routers a floating IP left or joined."""
    state = state_of(req)
    wanted = [r for r in router_ids if r]
    if state.l3 is not None and wanted:
        await state.l3.router_updated(req.context, wanted)


async def list_floatingip_pools(req: ApiRequest) -> Response:
    """The IPv4 subnets of the external networks the caller can see."""
    access.enforce(req, "get_floatingip_pool", {"project_id": req.context.project_id})
    async with state_of(req).db.reader() as s:
        pools = await subnets.external_pools(s, scope(req))
    return json_response({"floatingip_pools": pools})
