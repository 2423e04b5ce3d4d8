"""``/v2.0/subnetpools``: prefixes subnets are carved from, and the default pool."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from starlette.responses import Response

from nimbostack.core.api.request import ApiRequest
from nimbostack.core.api.responses import empty, json_response
from nimbostack.network import errors
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
    standard,
)
from nimbostack.network.api.context import if_match, scope
from nimbostack.network.api.tags import TAGS_ATTR
from nimbostack.network.api.validators import boolean, cidr, integer, list_of, nullable, uuid_str
from nimbostack.network.db.models import SubnetPool
from nimbostack.network.extensions import Extension
from nimbostack.network.objects import quotas, rbac, subnetpools
from nimbostack.network.objects import standard as stattrs
from nimbostack.network.objects.scope import Scope
from nimbostack.network.state import state_of

EXTENSIONS = (
    Extension(
        "subnet_allocation",
        "Subnet Allocation",
        "Enables allocation of subnets from a subnet pool",
        "2015-03-30T10:00:00-00:00",
    ),
    Extension(
        "default-subnetpools",
        "Default Subnetpools",
        "Provides ability to mark and use a subnetpool as the default.",
        "2016-02-18T18:00:00-00:00",
    ),
)
POOL = Body(
    "subnetpool",
    "subnetpools",
    (
        ID,
        *STANDARD_READ_ONLY,
        *read_only("ip_version"),
        *standard(),
        *OWNER,
        Attr("prefixes", list_of(cidr), REQUIRED, put=True),
        Attr("default_prefixlen", integer(0, 128), UNSET, put=True),
        Attr("min_prefixlen", integer(0, 128), UNSET, put=True),
        Attr("max_prefixlen", integer(0, 128), UNSET, put=True),
        Attr("shared", boolean, False, policy=True),
        Attr("is_default", boolean, False, put=True, policy=True),
        Attr("default_quota", nullable(integer(0)), None, put=True),
        Attr("address_scope_id", nullable(uuid_str), None),
        TAGS_ATTR,
    ),
)


def target(view: dict[str, Any]) -> dict[str, Any]:
    return {"project_id": view["project_id"], "shared": view["shared"]}


async def list_subnetpools(req: ApiRequest) -> Response:
    caller = scope(req)
    lreq = listing.parse(req, subnetpools.table(caller))
    async with state_of(req).db.reader() as s:
        found = await subnetpools.search(s, caller, lreq)
    shown = access.Shown(req, "get_subnetpool", POOL)
    return listing.answer(req, "subnetpools", [p for p in found if shown.visible(target(p))], lreq)


async def _show(req: ApiRequest, caller: Scope, pool_id: str) -> dict[str, Any]:
    async with state_of(req).db.reader() as s:
        view = await subnetpools.find(s, caller, pool_id)
    shown = access.Shown(req, "get_subnetpool", POOL)
    return listing.select_fields(shown.one(view, target(view)), listing.fields_of(req))


async def show_subnetpool(req: ApiRequest) -> Response:
    return json_response({"subnetpool": await _show(req, scope(req), req.param("pool_id"))})


async def create_subnetpool(req: ApiRequest) -> Response:
    state = state_of(req)
    items, bulk = await POOL.create(req)
    for item in items:
        access.enforce(req, "create_subnetpool", item)
        access.check_attributes(req, "create", POOL, item, item)
    async with state.db.session() as s:
        ids = [await _create(s, state, item) for item in items]
    return POOL.created([await _show(req, Scope.admin(), i) for i in ids], bulk)


async def _create(s: Any, state: Any, item: dict[str, Any]) -> str:
    version, prefixes = subnetpools.compact(item["prefixes"])
    lengths = subnetpools.bounds(version, item)
    await quotas.check(s, state.conf, item["project_id"], {"subnetpool": 1})
    if item.get("is_default"):
        await subnetpools.check_single_default(s, version)
    pool = SubnetPool(
        **stattrs.stamp(
            id=stattrs.new_id(),
            project_id=item["project_id"],
            name=item.get("name", ""),
            description=item.get("description", ""),
            ip_version=version,
            is_default=bool(item.get("is_default")),
            default_quota=item.get("default_quota"),
            address_scope_id=item.get("address_scope_id"),
            **lengths,
        )
    )
    s.add(pool)
    await s.flush()
    await subnetpools.set_prefixes(s, pool.id, prefixes)
    await subnetpools.set_shared(s, pool, bool(item.get("shared")))
    if item.get("tags"):
        await stattrs.set_tags(s, subnetpools.TAGS, pool.id, item["tags"])
    return pool.id


async def update_subnetpool(req: ApiRequest) -> Response:
    state = state_of(req)
    pool_id = req.param("pool_id")
    changes = await POOL.update(req)
    caller = scope(req)
    async with state.db.session() as s:
        current = await subnetpools.find(s, caller, pool_id)
        access.enforce_change(req, "update_subnetpool", "get_subnetpool", target(current))
        access.check_attributes(
            req, "update", POOL, changes, {**target(current), **changes}, updating=True
        )
        await _update(s, pool_id, current, changes, if_match(req))
    return json_response({"subnetpool": await _show(req, caller, pool_id)})


async def _update(
    s: Any, pool_id: str, current: dict[str, Any], changes: dict[str, Any], expected: int | None
) -> None:
    version = current["ip_version"]
    values: dict[str, Any] = {
        k: changes[k] for k in ("name", "description", "default_quota") if k in changes
    }
    values.update(subnetpools.bounds(version, changes, current))
    if "prefixes" in changes:
        new_version, prefixes = subnetpools.compact(changes["prefixes"])
        if new_version != version:
            raise errors.PrefixVersionMismatch()
        _, covering = subnetpools.compact([*prefixes, *current["prefixes"]])
        if set(covering) != set(prefixes):
            raise errors.IllegalSubnetPoolUpdate(
                reason="Existing prefixes must be a subset of the new prefixes"
            )
        await subnetpools.set_prefixes(s, pool_id, prefixes)
    if changes.get("is_default") and not current["is_default"]:
        await subnetpools.check_single_default(s, version, except_id=pool_id)
    if "is_default" in changes:
        values["is_default"] = changes["is_default"]
    await stattrs.bump(s, SubnetPool, pool_id, expected, **values)


async def delete_subnetpool(req: ApiRequest) -> Response:
    state = state_of(req)
    pool_id = req.param("pool_id")
    caller = scope(req)
    async with state.db.session() as s:
        current = await subnetpools.find(s, caller, pool_id)
        access.enforce_change(req, "delete_subnetpool", "get_subnetpool", target(current))
        pool = await s.scalar(select(SubnetPool).where(SubnetPool.id == pool_id).with_for_update())
        if await subnetpools.in_use(s, pool_id):
            raise errors.SubnetPoolDeleteError(reason="Subnet pool has existing allocations")
        await stattrs.clear_tags(s, subnetpools.TAGS, [pool_id])
        await rbac.drop_all(s, "subnetpool", [pool_id])
        await s.delete(pool)
    return empty(204)
