"""``/v2.0/routers``: routers with their gateway, interfaces and extra routes."""

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
    cidr,
    dict_of,
    ip_address,
    list_of,
    string,
    uuid_str,
)
from nimbostack.network.errors import HTTPBadRequest
from nimbostack.network.extensions import Extension
from nimbostack.network.l3_errors import bad_router
from nimbostack.network.objects import router_interfaces, router_routes, router_writes, routers
from nimbostack.network.objects.scope import Scope
from nimbostack.network.state import state_of

EXTENSIONS = (
    Extension(
        "router",
        "Neutron L3 Router",
        "Router abstraction for basic L3 forwarding between L2 Neutron networks and "
        "access to external networks via a NAT gateway.",
        "2012-07-20T10:00:00-00:00",
    ),
    Extension(
        "ext-gw-mode",
        "Neutron L3 Configurable external gateway mode",
        "Extension of the router abstraction for specifying whether SNAT should occur "
        "on the external gateway",
        "2013-03-28T10:00:00-00:00",
    ),
    Extension(
        "extraroute",
        "Neutron Extra Route",
        "Extra routes configuration for L3 router",
        "2013-02-01T10:00:00-00:00",
    ),
    Extension(
        "extraroute-atomic",
        "Atomically add/remove extra routes",
        "Edit extra routes of a router on server side by atomically adding/removing extra routes",
        "2019-07-10T00:00:00-00:00",
    ),
    Extension(
        "router_availability_zone",
        "Router Availability Zone",
        "Availability zone support for router.",
        "2015-01-01T10:00:00-00:00",
    ),
)


def _fixed_ip(value: Any) -> dict[str, str]:
    entry = dict_of((), ("subnet_id", "ip_address"))(value)
    found = {}
    if entry.get("subnet_id") is not None:
        found["subnet_id"] = uuid_str(entry["subnet_id"])
    if entry.get("ip_address") is not None:
        found["ip_address"] = ip_address(entry["ip_address"])
    return found


def _gateway(value: Any) -> dict[str, Any] | None:
    """``external_gateway_info``: null or ``{}`` clears the gateway."""
    if value is None or value == {}:
        return None
    entry: dict[str, Any] = dict_of(("network_id",), ("enable_snat", "external_fixed_ips"))(value)
    entry["network_id"] = uuid_str(entry["network_id"])
    if "enable_snat" in entry:
        entry["enable_snat"] = boolean(entry["enable_snat"])
    if "external_fixed_ips" in entry:
        entry["external_fixed_ips"] = list_of(_fixed_ip)(entry["external_fixed_ips"])
    return entry


def _route(value: Any) -> dict[str, str]:
    entry = dict_of(("destination", "nexthop"))(value)
    return {"destination": cidr(entry["destination"]), "nexthop": ip_address(entry["nexthop"])}


def _not_true(value: Any) -> bool:
    """``distributed`` and ``ha``: accepted as false only (neither mode is served)."""
    if boolean(value):
        raise ValueError("this mode is not supported")
    return False


ROUTER = Body(
    "router",
    "routers",
    (
        ID,
        *STANDARD_READ_ONLY,
        *read_only("status", "availability_zones", "flavor_id"),
        *standard(),
        *OWNER,
        Attr("admin_state_up", boolean, True, put=True),
        Attr(
            "external_gateway_info",
            _gateway,
            UNSET,
            put=True,
            policy=True,
            policy_keys=("network_id", "enable_snat", "external_fixed_ips"),
        ),
        Attr("routes", list_of(_route), UNSET, post=False, put=True),
        Attr("distributed", _not_true, UNSET, put=True, policy=True, shown_by_policy=True),
        Attr("ha", _not_true, UNSET, put=True, policy=True, shown_by_policy=True),
        Attr("availability_zone_hints", list_of(string(255)), []),
        TAGS_ATTR,
    ),
    bulk=False,
)


def target(view: dict[str, Any]) -> dict[str, Any]:
    return {"project_id": view["project_id"]}


def _shown(req: ApiRequest) -> access.Shown:
    return access.Shown(req, "get_router", ROUTER)


async def list_routers(req: ApiRequest) -> Response:
    caller = scope(req)
    lreq = listing.parse(req, routers.TABLE)
    async with state_of(req).db.reader() as s:
        found = await routers.search(s, caller, lreq)
    shown = _shown(req)
    items = [shown.strip(r, target(r)) for r in found if shown.visible(target(r))]
    return listing.answer(req, "routers", items, lreq)


async def show(req: ApiRequest, caller: Scope, router_id: str) -> dict[str, Any]:
    async with state_of(req).db.reader() as s:
        view = await routers.find(s, caller, router_id)
    return listing.select_fields(_shown(req).one(view, target(view)), listing.fields_of(req))


async def show_router(req: ApiRequest) -> Response:
    return json_response({"router": await show(req, scope(req), req.param("router_id"))})


async def create_router(req: ApiRequest) -> Response:
    state = state_of(req)
    items, _ = await ROUTER.create(req)
    item = items[0]
    policy_target = {"project_id": item["project_id"]}
    access.enforce(req, "create_router", policy_target)
    access.check_attributes(req, "create", ROUTER, item, policy_target)
    async with state.db.session() as s:
        router_id = await router_writes.create(s, state.conf, scope(req), item)
    view = await show(req, Scope.admin(), router_id)
    await _changed(req, router_id)
    return json_response({"router": view}, 201)


async def update_router(req: ApiRequest) -> Response:
    state = state_of(req)
    router_id = req.param("router_id")
    changes = await ROUTER.update(req)
    caller = scope(req)
    async with state.db.reader() as s:
        current = await routers.find(s, caller, router_id)
    access.enforce_change(req, "update_router", "get_router", target(current))
    policy_target = {**target(current), **changes}
    access.check_attributes(req, "update", ROUTER, changes, policy_target, updating=True)
    async with state.db.session() as s:
        await router_writes.update(
            s, state.conf, caller, router_id, changes, expected=if_match(req)
        )
    await _changed(req, router_id)
    return json_response({"router": await show(req, caller, router_id)})


async def delete_router(req: ApiRequest) -> Response:
    state = state_of(req)
    router_id = req.param("router_id")
    caller = scope(req)
    async with state.db.reader() as s:
        current = await routers.find(s, caller, router_id)
    access.enforce_change(req, "delete_router", "get_router", target(current))
    hosts = await state.l3.hosts(router_id) if state.l3 is not None else []
    async with state.db.session() as s:
        await router_writes.delete_router(s, caller, router_id, if_match(req))
    if state.l3 is not None:
        await state.l3.router_deleted(req.context, router_id, hosts)
    return empty(204)


def _interface_info(body: Any) -> dict[str, str]:
    if not isinstance(body, dict) or not body:
        raise bad_router("Either subnet_id or port_id must be specified")
    try:
        info = dict_of((), ("subnet_id", "port_id"))(body)
        found = {k: uuid_str(v) for k, v in info.items() if v is not None}
    except ValueError as exc:
        raise bad_router(str(exc)) from None
    if not found:
        raise bad_router("Either subnet_id or port_id must be specified")
    return found


async def _router_to_change(req: ApiRequest, rule: str) -> tuple[str, Scope]:
    """The router of the path, if ``rule`` lets the caller change it (else 403/404)."""
    router_id = req.param("router_id")
    caller = scope(req)
    async with state_of(req).db.reader() as s:
        current = await routers.find(s, caller, router_id)
    access.enforce_change(req, rule, "get_router", target(current))
    return router_id, caller


async def add_router_interface(req: ApiRequest) -> Response:
    state = state_of(req)
    info = _interface_info(await req.json())
    if "subnet_id" in info and "port_id" in info:
        raise bad_router("Cannot specify both subnet-id and port-id")
    router_id, caller = await _router_to_change(req, "add_router_interface")
    async with state.db.session() as s:
        answer = await router_interfaces.add(s, state.conf, caller, router_id, info)
    await _changed(req, router_id)
    # The network is no longer isolated: its DHCP stops routing guests to metadata.
    await dhcp_hooks.port_changed(req, state, answer["network_id"], answer["port_id"])
    return json_response(answer)


async def remove_router_interface(req: ApiRequest) -> Response:
    state = state_of(req)
    info = _interface_info(await req.json())
    router_id, caller = await _router_to_change(req, "remove_router_interface")
    async with state.db.session() as s:
        answer = await router_interfaces.remove(s, caller, router_id, info)
    await _changed(req, router_id)
    await dhcp_hooks.port_removed(req, state, answer["network_id"], answer["port_id"])
    return json_response(answer)


async def _routes_change(req: ApiRequest, rule: str, remove: bool) -> Response:
    state = state_of(req)
    body = await req.json()
    item = body.get("router") if isinstance(body, dict) else None
    if not isinstance(item, dict) or set(item) != {"routes"}:
        raise HTTPBadRequest("Unable to find 'router' in request body")
    try:
        wanted = list_of(_route)(item["routes"])
    except ValueError as exc:
        raise HTTPBadRequest(f"Invalid input for routes. Reason: {exc}.") from None
    router_id, caller = await _router_to_change(req, rule)
    async with state.db.session() as s:
        router = await routers.lock(s, caller, router_id)
        change = router_routes.remove if remove else router_routes.add
        await change(s, state.conf, router, wanted)
        await router_writes.touch(s, router_id)
    await _changed(req, router_id)
    return json_response({"router": await show(req, caller, router_id)})


async def add_extraroutes(req: ApiRequest) -> Response:
    return await _routes_change(req, "add_extraroutes", remove=False)


async def remove_extraroutes(req: ApiRequest) -> Response:
    return await _routes_change(req, "remove_extraroutes", remove=True)


async def _changed(req: ApiRequest, router_id: str) -> None:
    """Tell the L3 agent hosting the router that it changed (scheduling it if need be)."""
    state = state_of(req)
    if state.l3 is not None:
        await state.l3.router_updated(req.context, [router_id])
