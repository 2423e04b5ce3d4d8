"""``/v2.0/address-groups``: sets of CIDRs, with add_addresses and remove_addresses."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from nimbostack.core.api.request import ApiRequest
from nimbostack.core.api.responses import empty, json_response
from nimbostack.network import errors
from nimbostack.network.api import access, listing
from nimbostack.network.api.attributes import (
    ID,
    OWNER,
    STANDARD_READ_ONLY,
    Attr,
    Body,
    read_only,
    standard,
)
from nimbostack.network.api.context import if_match, scope
from nimbostack.network.api.validators import list_of, network
from nimbostack.network.db.models import AddressGroup
from nimbostack.network.extensions import Extension
from nimbostack.network.objects import address_groups, sg_info
from nimbostack.network.objects import standard as stattrs
from nimbostack.network.objects.scope import Scope
from nimbostack.network.state import state_of

EXTENSIONS = (
    Extension(
        "address-group", "Address group", "Support address group", "2020-07-15T10:00:00-00:00"
    ),
)
GROUP = Body(
    "address_group",
    "address_groups",
    (
        ID,
        *STANDARD_READ_ONLY,
        *read_only("shared"),
        *standard(),
        *OWNER,
        Attr("addresses", list_of(network), []),
    ),
)


async def _addresses(req: ApiRequest) -> list[str]:
    """The ``{"addresses": [...]}`` body of add_addresses and remove_addresses."""
    body = await req.json()
    if not isinstance(body, dict) or set(body) != {"addresses"}:
        raise errors.HTTPBadRequest("Unable to find 'addresses' in request body")
    try:
        return list(list_of(network)(body["addresses"]))
    except ValueError as exc:
        raise errors.HTTPBadRequest(f"Invalid input for addresses. Reason: {exc}.") from None


def target(view: dict[str, Any]) -> dict[str, Any]:
    return {"project_id": view["project_id"], "shared": view["shared"]}


async def list_address_groups(req: ApiRequest) -> Response:
    lreq = listing.parse(req, address_groups.TABLE)
    async with state_of(req).db.reader() as s:
        found = await address_groups.search(s, scope(req), lreq)
    shown = access.Shown(req, "get_address_group", GROUP)
    return listing.answer(
        req, "address_groups", [g for g in found if shown.visible(target(g))], lreq
    )


async def _show(req: ApiRequest, caller: Scope, ag_id: str) -> dict[str, Any]:
    async with state_of(req).db.reader() as s:
        view = await address_groups.find(s, caller, ag_id)
    shown = access.Shown(req, "get_address_group", GROUP)
    return listing.select_fields(shown.one(view, target(view)), listing.fields_of(req))


async def show_address_group(req: ApiRequest) -> Response:
    return json_response({"address_group": await _show(req, scope(req), req.param("ag_id"))})


async def create_address_group(req: ApiRequest) -> Response:
    items, bulk = await GROUP.create(req)
    for item in items:
        access.enforce(req, "create_address_group", item)
    async with state_of(req).db.session() as s:
        ids = [await address_groups.create(s, item) for item in items]
    return GROUP.created([await _show(req, Scope.admin(), i) for i in ids], bulk)


async def _change(req: ApiRequest, rule: str) -> tuple[Scope, str, dict[str, Any]]:
    caller, ag_id = scope(req), req.param("ag_id")
    async with state_of(req).db.reader() as s:
        current = await address_groups.find(s, caller, ag_id)
    access.enforce_change(req, rule, "get_address_group", target(current))
    return caller, ag_id, current


async def update_address_group(req: ApiRequest) -> Response:
    changes = await GROUP.update(req)
    caller, ag_id, _ = await _change(req, "update_address_group")
    async with state_of(req).db.session() as s:
        if not await stattrs.bump(s, AddressGroup, ag_id, if_match(req), **changes):
            raise errors.AddressGroupNotFound(address_group_id=ag_id)
    return json_response({"address_group": await _show(req, caller, ag_id)})


async def add_addresses(req: ApiRequest) -> Response:
    wanted = await _addresses(req)
    caller, ag_id, _ = await _change(req, "add_addresses")
    async with state_of(req).db.session() as s:
        await address_groups.lock(s, ag_id)
        await address_groups.add(s, ag_id, wanted)
        await stattrs.bump(s, AddressGroup, ag_id)
        refilter = await sg_info.using_address_group(s, ag_id)
    await _addresses_changed(req, refilter)
    return json_response({"address_group": await _show(req, caller, ag_id)})


async def remove_addresses(req: ApiRequest) -> Response:
    wanted = await _addresses(req)
    caller, ag_id, _ = await _change(req, "remove_addresses")
    async with state_of(req).db.session() as s:
        await address_groups.lock(s, ag_id)
        await address_groups.remove(s, ag_id, wanted)
        await stattrs.bump(s, AddressGroup, ag_id)
        refilter = await sg_info.using_address_group(s, ag_id)
    await _addresses_changed(req, refilter)
    return json_response({"address_group": await _show(req, caller, ag_id)})


async def delete_address_group(req: ApiRequest) -> Response:
    _, ag_id, _ = await _change(req, "delete_address_group")
    async with state_of(req).db.session() as s:
        await address_groups.delete_group(s, ag_id)
    return empty(204)


async def _addresses_changed(req: ApiRequest, group_ids: list[str]) -> None:
    """Tell the firewalls of ports in groups whose rules use the address group."""
    agents = state_of(req).agents
    if agents is not None and group_ids:
        await agents.security_groups_changed(req.context, group_ids)
