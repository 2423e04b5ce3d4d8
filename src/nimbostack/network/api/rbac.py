"""``/v2.0/rbac-policies``: sharing networks, security groups, subnet pools, address groups.

Only the owner of an object (or an admin) may share it; only an admin may share with
every project (``*``). A policy another project depends on cannot be removed or
retargeted (409 ``RbacPolicyInUse``).
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import ColumnElement, select, true
from sqlalchemy.exc import IntegrityError
from starlette.responses import Response

from nimbostack.core.api.request import ApiRequest
from nimbostack.core.api.responses import empty, json_response
from nimbostack.network import errors
from nimbostack.network.api import access, listing
from nimbostack.network.api.attributes import ID, REQUIRED, Attr, Body
from nimbostack.network.api.context import scope
from nimbostack.network.api.validators import string, uuid_str
from nimbostack.network.db.models import RbacEntry
from nimbostack.network.extensions import Extension
from nimbostack.network.objects import quotas, rbac
from nimbostack.network.objects.query import Table, select_page
from nimbostack.network.objects.scope import EVERYONE, Scope
from nimbostack.network.state import state_of

EXTENSIONS = (
    Extension(
        "rbac-policies",
        "RBAC Policies",
        "Allows creation and modification of policies that control tenant access to resources.",
        "2015-06-17T12:15:12-00:00",
    ),
    Extension(
        "rbac-security-groups",
        "Add security_group type to network RBAC",
        "Add security_group type to network RBAC",
        "2019-02-14T00:00:00-00:00",
    ),
    Extension(
        "rbac-subnetpool",
        "Add subnetpool type to RBAC",
        "Add subnetpool type to RBAC",
        "2020-07-21T00:00:00-00:00",
    ),
    Extension(
        "rbac-address-group",
        "Add address_group type to RBAC",
        "Add address_group type to RBAC",
        "2021-03-11T00:00:00-00:00",
    ),
)


def _object_type(value: Any) -> str:
    normalized = string(32)(value).strip().lower()
    if normalized not in rbac.OBJECT_TYPES:
        raise ValueError(f"'{value}' is not a valid RBAC object type")
    return normalized


def _target(value: Any) -> str:
    text = string(255)(value)
    if text != EVERYONE:
        try:
            uuid.UUID(text)
        except ValueError:
            raise ValueError(
                f"'{text}' is not a valid target project ID; expected a UUID or '*'"
            ) from None
    return text


POLICY = Body(
    "rbac_policy",
    "rbac_policies",
    (
        ID,
        Attr("project_id", string(255)),
        Attr("tenant_id", string(255)),
        Attr("object_type", _object_type, REQUIRED),
        Attr("object_id", uuid_str, REQUIRED),
        Attr("action", string(255), REQUIRED),
        Attr("target_tenant", _target, REQUIRED, put=True),
    ),
    bulk=False,
)
TABLE = Table(
    id=RbacEntry.id,
    columns={
        "id": RbacEntry.id,
        "project_id": RbacEntry.project_id,
        "object_type": RbacEntry.object_type,
        "object_id": RbacEntry.object_id,
        "action": RbacEntry.action,
        "target_tenant": RbacEntry.target_project,
        "target_project": RbacEntry.target_project,
    },
    not_found=lambda policy_id: errors.RbacPolicyNotFound(object_type="rbac", id=policy_id),
)


def _visible(caller: Scope) -> ColumnElement[bool]:
    """An admin sees every policy; a project, those it created."""
    return true() if caller.is_admin else RbacEntry.project_id == caller.project_id


async def list_rbac_policies(req: ApiRequest) -> Response:
    caller = scope(req)
    lreq = listing.parse(req, TABLE)
    async with state_of(req).db.reader() as s:
        page, stmt = await select_page(s, TABLE, select(RbacEntry).where(_visible(caller)), lreq)
        rows = page.finish(list(await s.scalars(stmt)))
    items = [
        rbac.view(row) for row in rows if access.allowed(req, "get_rbac_policy", rbac.view(row))
    ]
    return listing.answer(req, "rbac_policies", items, lreq)


async def _entry(s: Any, caller: Scope, policy_id: str) -> RbacEntry:
    entry = await s.scalar(select(RbacEntry).where(RbacEntry.id == policy_id, _visible(caller)))
    if entry is None:
        raise errors.RbacPolicyNotFound(object_type="rbac", id=policy_id)
    return entry  # type: ignore[no-any-return]


async def show_rbac_policy(req: ApiRequest) -> Response:
    async with state_of(req).db.reader() as s:
        entry = await _entry(s, scope(req), req.param("policy_id"))
    view = rbac.view(entry)
    access.enforce(req, "get_rbac_policy", view)
    return json_response({"rbac_policy": listing.select_fields(view, listing.fields_of(req))})


async def _owner_of(s: Any, req: ApiRequest, item: dict[str, Any]) -> str:
    """The object's owner; 404 if the caller cannot see it, 400 if it does not own it."""
    model, actions = rbac.OBJECT_TYPES[item["object_type"]]
    if item["action"] not in actions:
        raise errors.InvalidInput(
            error_message=f"Invalid action '{item['action']}' for object type "
            f"'{item['object_type']}'. Valid actions: {list(actions)}"
        )
    owner = await s.scalar(select(model.project_id).where(model.id == item["object_id"]))
    caller = scope(req)
    if owner is None or (not caller.is_admin and owner != caller.project_id):
        raise errors.InvalidInput(
            error_message=f"Only admins can manipulate policies on {item['object_type']}s "
            "they do not own"
        )
    return str(owner)


async def create_rbac_policy(req: ApiRequest) -> Response:
    state = state_of(req)
    items, _ = await POLICY.create(req)
    item = items[0]
    access.enforce(req, "create_rbac_policy", item)
    access.enforce(req, "create_rbac_policy:target_tenant", item)
    try:
        async with state.db.session() as s:
            await _owner_of(s, req, item)
            await quotas.check(s, state.conf, item["project_id"], {"rbac_policy": 1})
            if await rbac.find(
                s, item["object_type"], item["object_id"], item["action"], item["target_tenant"]
            ):
                raise errors.DuplicateRbacPolicy()
            policy_id = await rbac.grant(
                s,
                owner=item["project_id"],
                object_type=item["object_type"],
                object_id=item["object_id"],
                action=item["action"],
                target=item["target_tenant"],
            )
            entry = await s.get(RbacEntry, policy_id)
            view = rbac.view(entry)
    except IntegrityError:
        raise errors.DuplicateRbacPolicy() from None
    return json_response({"rbac_policy": view}, 201)


async def update_rbac_policy(req: ApiRequest) -> Response:
    changes = await POLICY.update(req)
    async with state_of(req).db.session() as s:
        entry = await _entry(s, scope(req), req.param("policy_id"))
        view = rbac.view(entry)
        access.enforce_change(req, "update_rbac_policy", "get_rbac_policy", view)
        access.enforce(req, "update_rbac_policy:target_tenant", {**view, **changes})
        new_target = changes.get("target_tenant", entry.target_project)
        if new_target != entry.target_project:
            blocked = await rbac.check_removable(s, entry, await _object_owner(s, entry))
            if blocked:
                raise errors.RbacPolicyInUse(object_id=entry.object_id, details=", ".join(blocked))
            entry.target_project = new_target
            await s.flush()
        view = rbac.view(entry)
    return json_response({"rbac_policy": view})


async def _object_owner(s: Any, entry: RbacEntry) -> str:
    model, _ = rbac.OBJECT_TYPES[entry.object_type]
    owner = await s.scalar(select(model.project_id).where(model.id == entry.object_id))
    return str(owner or entry.project_id)


async def delete_rbac_policy(req: ApiRequest) -> Response:
    async with state_of(req).db.session() as s:
        entry = await _entry(s, scope(req), req.param("policy_id"))
        access.enforce_change(req, "delete_rbac_policy", "get_rbac_policy", rbac.view(entry))
        blocked = await rbac.check_removable(s, entry, await _object_owner(s, entry))
        if blocked:
            raise errors.RbacPolicyInUse(object_id=entry.object_id, details=", ".join(blocked))
        await s.delete(entry)
    return empty(204)
