"""``os-server-groups``: create (policies or, 2.64+, policy and rules), list, show, delete."""

from __future__ import annotations

import time
import uuid
from typing import Any

from sqlalchemy import func, select
from starlette.responses import Response

from nimbostack.compute.api import paging
from nimbostack.compute.api.deps import compute_conf, state_of
from nimbostack.compute.db.models import ServerGroup
from nimbostack.compute.objects import quotas
from nimbostack.core.api.microversion import Version
from nimbostack.core.api.request import ApiRequest
from nimbostack.core.api.responses import empty, json_response
from nimbostack.core.api.schema import MAX_INT
from nimbostack.core.db.paging import Page, SortKey
from nimbostack.core.errors import BadRequest, Forbidden, NotFound

NAME = {"type": "string", "minLength": 1, "maxLength": 255}


def _v(req: ApiRequest) -> Version:
    return req.version or Version(2, 1)


def _policies(version: Version) -> list[str]:
    found = ["affinity", "anti-affinity"]
    if version.matches("2.15"):
        found += ["soft-affinity", "soft-anti-affinity"]
    return found


def _schema(version: Version) -> dict[str, Any]:
    if version.matches("2.64"):
        props: dict[str, Any] = {
            "name": NAME,
            "policy": {"enum": _policies(version)},
            "rules": {
                "type": "object",
                "properties": {
                    "max_server_per_host": {
                        "type": ["integer", "string"],
                        "pattern": "^[0-9]{1,10}$",
                        "minimum": 1,
                        "maximum": MAX_INT,
                    }
                },
                "additionalProperties": False,
            },
        }
        required = ["name", "policy"]
    else:
        props = {
            "name": NAME,
            "policies": {
                "type": "array",
                "items": {"enum": _policies(version)},
                "minItems": 1,
                "maxItems": 1,
            },
        }
        required = ["name", "policies"]
    group = {
        "type": "object",
        "properties": props,
        "required": required,
        "additionalProperties": False,
    }
    return {
        "type": "object",
        "properties": {"server_group": group},
        "required": ["server_group"],
        "additionalProperties": False,
    }


def _view(req: ApiRequest, group: ServerGroup) -> dict[str, Any]:
    version = _v(req)
    body: dict[str, Any] = {
        "id": group.uuid,
        "name": group.name,
        "members": list(group.members or []),
    }
    if version.matches("2.64"):
        body["policy"] = group.policy
        body["rules"] = dict(group.rules or {})
    else:
        body["policies"] = [group.policy]
        body["metadata"] = {}
    if version.matches("2.13"):
        body["project_id"] = group.project_id
        body["user_id"] = group.user_id
    return body


async def create_server_group(req: ApiRequest) -> Response:
    state = state_of(req)
    req.enforce("os_compute_api:os-server-groups:create", {"project_id": req.context.project_id})
    body = (await req.json(_schema(_v(req))))["server_group"]
    policy = body.get("policy") or body["policies"][0]
    rules = {k: int(v) for k, v in (body.get("rules") or {}).items()}
    if any(not 1 <= v <= 2**31 - 1 for v in rules.values()):
        raise BadRequest(
            "Invalid input for field 'max_server_per_host': must be from 1 to 2147483647"
        )
    if rules and policy != "anti-affinity":
        raise BadRequest("Only the anti-affinity policy supports rules.")
    limit = int(compute_conf(state).quota_server_groups)
    async with state.db.session() as s:
        await quotas.lock_project(s, req.context.project_id or "")
        used = await s.scalar(
            select(func.count()).where(ServerGroup.project_id == req.context.project_id)
        )
        if 0 <= limit <= int(used or 0):
            raise Forbidden("Quota exceeded, too many server groups.")
        group = ServerGroup(
            uuid=str(uuid.uuid4()),
            name=body["name"],
            project_id=req.context.project_id or "",
            user_id=req.context.user_id or "",
            policy=policy,
            rules=rules,
            members=[],
            created_at=time.time(),
        )
        s.add(group)
    return json_response({"server_group": _view(req, group)})


async def _group(req: ApiRequest) -> ServerGroup:
    state = state_of(req)
    ident = req.param("group_id")
    async with state.db.session() as s:
        group = await s.get(ServerGroup, ident)
    if group is None or (group.project_id != req.context.project_id and not req.context.is_admin):
        raise NotFound(f"Instance group {ident} could not be found.")
    return group


async def show_server_group(req: ApiRequest) -> Response:
    group = await _group(req)
    req.enforce("os_compute_api:os-server-groups:show", {"project_id": group.project_id})
    return json_response({"server_group": _view(req, group)})


async def delete_server_group(req: ApiRequest) -> Response:
    group = await _group(req)
    req.enforce("os_compute_api:os-server-groups:delete", {"project_id": group.project_id})
    async with state_of(req).db.session() as s:
        row = await s.get(ServerGroup, group.uuid)
        if row is not None:
            await s.delete(row)
    return empty(204)


async def list_server_groups(req: ApiRequest) -> Response:
    state = state_of(req)
    req.enforce("os_compute_api:os-server-groups:index", {"project_id": req.context.project_id})
    stmt = select(ServerGroup)
    if req.query_bool("all_projects"):
        req.enforce(
            "os_compute_api:os-server-groups:index:all_projects",
            {"project_id": req.context.project_id},
        )
    else:
        stmt = stmt.where(ServerGroup.project_id == req.context.project_id)
    # Nova pages server groups by offset, not by marker.
    offset = paging.count_param(req, "offset") or 0
    page = Page(ServerGroup.uuid, [SortKey("created_at", ServerGroup.created_at)], None)
    async with state.db.reader() as s:
        stmt = (await page.apply(s, stmt)).limit(paging.page_size(req)).offset(offset)
        rows = list((await s.scalars(stmt)).all())
    return json_response({"server_groups": [_view(req, g) for g in rows]})
