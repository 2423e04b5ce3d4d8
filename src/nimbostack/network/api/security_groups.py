"""``/v2.0/security-groups`` and ``/v2.0/security-group-rules``.

Listing groups (or creating a port) first makes sure the caller's project has its
``default`` group, as Neutron does.
"""

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
    REQUIRED,
    STANDARD_READ_ONLY,
    Attr,
    Body,
    read_only,
    standard,
)
from nimbostack.network.api.context import if_match, scope
from nimbostack.network.api.tags import TAGS_ATTR
from nimbostack.network.api.validators import (
    boolean,
    choice,
    integer,
    nullable,
    prefix,
    string,
    uuid_str,
)
from nimbostack.network.db.models import SecurityGroup
from nimbostack.network.extensions import Extension
from nimbostack.network.objects import (
    address_groups,
    quotas,
    rule_checks,
    security_groups,
    sg_rules,
)
from nimbostack.network.objects import standard as stattrs
from nimbostack.network.objects.scope import Scope
from nimbostack.network.state import state_of

EXTENSIONS = (
    Extension(
        "security-group",
        "security-group",
        "The security groups extension.",
        "2012-10-05T10:00:00-00:00",
    ),
    Extension(
        "stateful-security-group",
        "Stateful security group",
        "Indicates if the security group is stateful or not",
        "2019-11-26T09:00:00-00:00",
    ),
    Extension(
        "security-groups-normalized-cidr",
        "Normalized CIDR field for security group rules",
        "Add new field with normalized remote_ip_prefix cidr in SG rule",
        "2020-07-28T10:00:00-00:00",
    ),
    Extension(
        "security-groups-remote-address-group",
        "Remote address group id field for security group rules",
        "Add new field of remote address group id in SG rules",
        "2020-08-25T10:00:00-00:00",
    ),
    Extension(
        "security-groups-shared-filtering",
        "Security group filtering on the shared field",
        "Support filtering security groups on the shared field",
        "2021-03-09T09:00:00-00:00",
    ),
    Extension(
        "security-groups-rules-belongs-to-default-sg",
        "Security group rule belongs to the project's default security group",
        "Flag to determine if the security group rule belongs to the project's default "
        "security group",
        "2023-05-16T10:00:00-00:00",
    ),
)

GROUP = Body(
    "security_group",
    "security_groups",
    (
        ID,
        *STANDARD_READ_ONLY,
        *read_only("security_group_rules", "shared"),
        *standard(),
        *OWNER,
        Attr("stateful", boolean, True, put=True),
        TAGS_ATTR,
    ),
)
RULE = Body(
    "security_group_rule",
    "security_group_rules",
    (
        ID,
        *STANDARD_READ_ONLY,
        *read_only("normalized_cidr", "belongs_to_default_sg"),
        Attr("description", string(255), ""),
        *OWNER,
        Attr("security_group_id", uuid_str, REQUIRED),
        Attr("direction", choice("ingress", "egress"), REQUIRED),
        Attr("ethertype", rule_checks.convert_ethertype, "IPv4"),
        Attr("protocol", rule_checks.convert_protocol, None),
        Attr("port_range_min", nullable(integer()), None),
        Attr("port_range_max", nullable(integer()), None),
        Attr("remote_ip_prefix", nullable(prefix), None),
        # Any text: a group id that names no group is 404, as in Neutron, not a 400.
        Attr("remote_group_id", nullable(string(255)), None),
        Attr("remote_address_group_id", nullable(uuid_str), None),
    ),
)


def group_target(view: dict[str, Any]) -> dict[str, Any]:
    return {"project_id": view["project_id"], "shared": view["shared"]}


def rule_target(view: dict[str, Any]) -> dict[str, Any]:
    return {
        "project_id": view["project_id"],
        "security_group:project_id": view["security_group:project_id"],
    }


async def list_security_groups(req: ApiRequest) -> Response:
    state = state_of(req)
    caller = scope(req)
    lreq = listing.parse(req, security_groups.table(caller))
    await security_groups.ensure_default_in(state.db, caller.project_id)
    async with state.db.reader() as s:
        found = await security_groups.search(s, caller, lreq)
    shown = access.Shown(req, "get_security_group", GROUP)
    items = [g for g in found if shown.visible(group_target(g))]
    return listing.answer(req, "security_groups", items, lreq)


async def _show_group(req: ApiRequest, caller: Scope, sg_id: str) -> dict[str, Any]:
    async with state_of(req).db.reader() as s:
        view = await security_groups.find(s, caller, sg_id)
    shown = access.Shown(req, "get_security_group", GROUP)
    return listing.select_fields(shown.one(view, group_target(view)), listing.fields_of(req))


async def show_security_group(req: ApiRequest) -> Response:
    sg_id = req.param("security_group_id")
    return json_response({"security_group": await _show_group(req, scope(req), sg_id)})


async def create_security_group(req: ApiRequest) -> Response:
    state = state_of(req)
    items, bulk = await GROUP.create(req)
    for item in items:
        access.enforce(req, "create_security_group", item)
        access.check_attributes(req, "create", GROUP, item, item)
    async with state.db.session() as s:
        ids = []
        for item in items:
            await quotas.check(s, state.conf, item["project_id"], {"security_group": 1})
            await security_groups.ensure_default(s, item["project_id"])
            ids.append(await security_groups.create(s, item))
    views = [await _show_group(req, Scope.admin(), sg_id) for sg_id in ids]
    return GROUP.created(views, bulk)


async def update_security_group(req: ApiRequest) -> Response:
    state = state_of(req)
    sg_id = req.param("security_group_id")
    changes = await GROUP.update(req)
    caller = scope(req)
    async with state.db.session() as s:
        current = await security_groups.find(s, caller, sg_id)
        access.enforce_change(
            req, "update_security_group", "get_security_group", group_target(current)
        )
        if "name" in changes and changes["name"] != current["name"]:
            if await security_groups.is_default(s, sg_id):
                raise errors.SecurityGroupCannotUpdateDefault()
            if changes["name"] == security_groups.DEFAULT_NAME:
                raise errors.SecurityGroupDefaultAlreadyExists()
        if not await stattrs.bump(s, SecurityGroup, sg_id, if_match(req), **changes):
            raise errors.SecurityGroupNotFound(id=sg_id)
    return json_response({"security_group": await _show_group(req, caller, sg_id)})


async def delete_security_group(req: ApiRequest) -> Response:
    state = state_of(req)
    sg_id = req.param("security_group_id")
    caller = scope(req)
    async with state.db.session() as s:
        current = await security_groups.find(s, caller, sg_id)
        access.enforce_change(
            req, "delete_security_group", "get_security_group", group_target(current)
        )
        if await security_groups.is_default(s, sg_id) and not req.context.is_admin:
            raise errors.SecurityGroupCannotRemoveDefault()
        expected = if_match(req)
        if expected is not None and current["revision_number"] != expected:
            raise errors.RevisionNumberConstraintFailed(
                expected=expected, current=current["revision_number"]
            )
        await security_groups.delete_group(s, sg_id)
    return empty(204)


# -- rules ------------------------------------------------------------------------------
async def list_security_group_rules(req: ApiRequest) -> Response:
    caller = scope(req)
    lreq = listing.parse(req, sg_rules.TABLE)
    async with state_of(req).db.reader() as s:
        found = await sg_rules.search(s, caller, lreq)
    shown = access.Shown(req, "get_security_group_rule", RULE)
    items = [_rule_out(r) for r in found if shown.visible(rule_target(r))]
    return listing.answer(req, "security_group_rules", items, lreq)


def _rule_out(view: dict[str, Any]) -> dict[str, Any]:
    view.pop("security_group:project_id", None)
    return view


async def show_security_group_rule(req: ApiRequest) -> Response:
    async with state_of(req).db.reader() as s:
        view = await sg_rules.find(s, scope(req), req.param("rule_id"))
    access.Shown(req, "get_security_group_rule", RULE).one(view, rule_target(view))
    shown = listing.select_fields(_rule_out(view), listing.fields_of(req))
    return json_response({"security_group_rule": shown})


async def _check_rule(req: ApiRequest, s: Any, caller: Scope, rule: dict[str, Any]) -> None:
    group = await security_groups.find(s, caller, rule["security_group_id"])
    policy_target = {**rule, "security_group:project_id": group["project_id"]}
    access.enforce(req, "create_security_group_rule", policy_target)
    rule_checks.canonical(rule)
    rule_checks.check(rule)
    owner = Scope(rule["project_id"])
    if rule.get("remote_group_id"):
        await security_groups.find(
            s, owner if not caller.is_admin else caller, rule["remote_group_id"]
        )
    if rule.get("remote_address_group_id"):
        await address_groups.find(s, caller, rule["remote_address_group_id"])


async def create_security_group_rule(req: ApiRequest) -> Response:
    state = state_of(req)
    items, bulk = await RULE.create(req)
    caller = scope(req)
    if len({i["security_group_id"] for i in items}) > 1:
        raise errors.HTTPBadRequest(
            "Only allowed to update rules for one security profile at a time"
        )
    async with state.db.session() as s:
        for rule in items:
            await _check_rule(req, s, caller, rule)
        ids = await sg_rules.create(s, state.conf, items)
    await _rules_changed(req, sorted({i["security_group_id"] for i in items}))
    async with state.db.reader() as s:
        views = [_rule_out(await sg_rules.find(s, Scope.admin(), rule_id)) for rule_id in ids]
    return RULE.created(views, bulk)


async def delete_security_group_rule(req: ApiRequest) -> Response:
    state = state_of(req)
    async with state.db.session() as s:
        view = await sg_rules.find(s, scope(req), req.param("rule_id"))
        access.enforce_change(
            req, "delete_security_group_rule", "get_security_group_rule", rule_target(view)
        )
        await sg_rules.delete_rule(s, view["id"])
    await _rules_changed(req, [view["security_group_id"]])
    return empty(204)


async def _rules_changed(req: ApiRequest, group_ids: list[str]) -> None:
    """Tell the L2 agents to refilter the ports of groups whose rules changed."""
    agents = state_of(req).agents
    if agents is not None and group_ids:
        await agents.security_groups_changed(req.context, group_ids)
