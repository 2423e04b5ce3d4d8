"""Groups and membership: /v3/groups, /v3/groups/{g}/users[/{u}], /v3/users/{u}/groups."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from starlette.responses import Response

from nimbostack.core.api.request import ApiRequest
from nimbostack.core.api.responses import empty, json_response
from nimbostack.core.errors import BadRequest, NotFound
from nimbostack.identity.api import users as user_api
from nimbostack.identity.api.entities import (
    DESCRIPTION,
    NAME,
    duplicate,
    envelope,
    get_or_404,
    new_id,
    reading,
    writing,
)
from nimbostack.identity.api.links import collection, self_link
from nimbostack.identity.db.models import Assignment, Domain, Group, Membership, User
from nimbostack.identity.objects import users as user_objects
from nimbostack.identity.tokens.revoke import revoke

_FIELDS = {"name": NAME, "description": DESCRIPTION}
CREATE = envelope(
    "group",
    {**_FIELDS, "domain_id": {"type": "string", "minLength": 1, "maxLength": 64}},
    required=("name",),
    strict=False,
)
UPDATE = envelope("group", _FIELDS, strict=False)


def view(req: ApiRequest, group: Group) -> dict[str, Any]:
    return {
        **group.extra,
        "id": group.id,
        "name": group.name,
        "domain_id": group.domain_id,
        "description": group.description or "",
        "links": self_link(req, f"/v3/groups/{group.id}"),
    }


def _target(group_id: str) -> dict[str, Any]:
    return {"target": {"group": {"id": group_id}}, "group_id": group_id}


async def list_groups(req: ApiRequest) -> Response:
    req.enforce("identity:list_groups", {})
    stmt = select(Group).order_by(Group.name)
    if "name" in req.query:
        stmt = stmt.where(Group.name == req.query["name"])
    if "domain_id" in req.query:
        stmt = stmt.where(Group.domain_id == req.query["domain_id"])
    async with reading(req) as s:
        rows = list(await s.scalars(stmt))
    return json_response(collection(req, "groups", [view(req, g) for g in rows]))


async def show_group(req: ApiRequest) -> Response:
    group_id = req.param("group_id")
    req.enforce("identity:get_group", _target(group_id))
    async with reading(req) as s:
        group = await get_or_404(s, Group, group_id, "group")
    return json_response({"group": view(req, group)})


async def create_group(req: ApiRequest) -> Response:
    req.enforce("identity:create_group", {})
    body = (await req.json(CREATE))["group"]
    domain_id = body.get("domain_id") or req.context.domain_id or "default"
    async with writing(req, "group") as s:
        await get_or_404(s, Domain, domain_id, "domain")
        clash = select(Group.id).where(Group.domain_id == domain_id, Group.name == body["name"])
        if await s.scalar(clash):
            raise duplicate("group", body["name"], domain_id)
        group = Group(
            id=new_id(),
            name=body["name"],
            domain_id=domain_id,
            description=body.get("description") or "",
            extra={k: v for k, v in body.items() if k not in ("name", "description", "domain_id")},
        )
        s.add(group)
    return json_response({"group": view(req, group)}, 201)


async def update_group(req: ApiRequest) -> Response:
    group_id = req.param("group_id")
    req.enforce("identity:update_group", _target(group_id))
    body = (await req.json(UPDATE))["group"]
    async with writing(req, "group") as s:
        group = await get_or_404(s, Group, group_id, "group", lock=True)
        if body.get("domain_id", group.domain_id) != group.domain_id:
            raise BadRequest("Cannot change the domain_id of a group.")
        name = body.get("name")
        if name and name != group.name:
            clash = select(Group.id).where(Group.domain_id == group.domain_id, Group.name == name)
            if await s.scalar(clash):
                raise duplicate("group", name, group.domain_id)
            group.name = name
        if "description" in body:
            group.description = body["description"] or ""
        extra = {k: v for k, v in body.items() if k not in ("name", "description", "domain_id")}
        group.extra = {**group.extra, **extra}
    return json_response({"group": view(req, group)})


async def delete_group(req: ApiRequest) -> Response:
    group_id = req.param("group_id")
    req.enforce("identity:delete_group", _target(group_id))
    async with writing(req, "group") as s:
        group = await get_or_404(s, Group, group_id, "group")
        members = list(
            await s.scalars(select(Membership.user_id).where(Membership.group_id == group_id))
        )
        await s.execute(delete(Assignment).where(Assignment.actor_id == group_id))
        await s.delete(group)
        for user_id in members:
            await revoke(s, user_id=user_id)
    return empty(204)


async def list_users_in_group(req: ApiRequest) -> Response:
    group_id = req.param("group_id")
    req.enforce("identity:list_users_in_group", _target(group_id))
    async with reading(req) as s:
        await get_or_404(s, Group, group_id, "group")
        rows = list(
            await s.scalars(
                select(User)
                .join(Membership, Membership.user_id == User.id)
                .where(Membership.group_id == group_id)
                .order_by(User.name)
            )
        )
        expiry = await user_objects.password_expiry(s, [u.id for u in rows])
    items = [user_api.view(req, u, expiry.get(u.id)) for u in rows]
    return json_response(collection(req, "users", items))


async def list_groups_for_user(req: ApiRequest) -> Response:
    user_id = req.param("user_id")
    req.enforce("identity:list_groups_for_user", user_api.target(user_id))
    async with reading(req) as s:
        await get_or_404(s, User, user_id, "user")
        rows = list(
            await s.scalars(
                select(Group)
                .join(Membership, Membership.group_id == Group.id)
                .where(Membership.user_id == user_id)
                .order_by(Group.name)
            )
        )
    return json_response(collection(req, "groups", [view(req, g) for g in rows]))


def _membership(req: ApiRequest, rule: str) -> tuple[str, str]:
    group_id, user_id = req.param("group_id"), req.param("user_id")
    req.enforce(rule, {**_target(group_id), **user_api.target(user_id)})
    return group_id, user_id


async def check_user_in_group(req: ApiRequest) -> Response:
    group_id, user_id = _membership(req, "identity:check_user_in_group")
    async with reading(req) as s:
        await get_or_404(s, Group, group_id, "group")
        await get_or_404(s, User, user_id, "user")
        if await s.get(Membership, (user_id, group_id)) is None:
            raise NotFound(f"Could not find user: {user_id} in group: {group_id}.")
    return empty(204)


async def add_user_to_group(req: ApiRequest) -> Response:
    group_id, user_id = _membership(req, "identity:add_user_to_group")
    async with writing(req, "group membership") as s:
        await get_or_404(s, Group, group_id, "group")
        await get_or_404(s, User, user_id, "user")
        if await s.get(Membership, (user_id, group_id)) is None:
            s.add(Membership(user_id=user_id, group_id=group_id))
    return empty(204)


async def remove_user_from_group(req: ApiRequest) -> Response:
    group_id, user_id = _membership(req, "identity:remove_user_from_group")
    async with writing(req, "group membership") as s:
        await get_or_404(s, Group, group_id, "group")
        await get_or_404(s, User, user_id, "user")
        membership = await s.get(Membership, (user_id, group_id))
        if membership is None:
            raise NotFound(f"Could not find user: {user_id} in group: {group_id}.")
        await s.delete(membership)
        await revoke(s, user_id=user_id)
    return empty(204)
