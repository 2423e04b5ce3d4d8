"""``/messages`` (3.3): why a request about a volume, snapshot or backup failed."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from starlette.responses import Response

from nimbostack.core.api.request import ApiRequest
from nimbostack.core.api.responses import empty, json_response
from nimbostack.core.errors import NotFound
from nimbostack.volume.api import microversions as mv
from nimbostack.volume.api.scope import at_least, check_filters, links, list_project, timestamp
from nimbostack.volume.db.models import Message
from nimbostack.volume.objects import paging, user_messages
from nimbostack.volume.state import state_of

SORT_COLUMNS: dict[str, Any] = {
    "id": Message.id,
    "created_at": Message.created_at,
    "event_id": Message.event_id,
    "resource_type": Message.resource_type,
    "resource_uuid": Message.resource_uuid,
}


def view(req: ApiRequest, m: Message) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": m.id,
        "event_id": m.event_id,
        "user_message": m.user_message,
        "message_level": m.message_level,
        "created_at": timestamp(m.created_at),
        "guaranteed_until": timestamp(m.expires_at),
        "request_id": m.request_id,
        "links": links(req, "messages", m.id),
    }
    if m.resource_type:
        body["resource_type"] = m.resource_type
    if m.resource_uuid:
        body["resource_uuid"] = m.resource_uuid
    return body


def _check_version(req: ApiRequest) -> None:
    if not at_least(req, mv.MESSAGES):
        raise NotFound("The resource could not be found.")


async def list_messages(req: ApiRequest) -> Response:
    _check_version(req)
    check_filters(req, "message", mv.LIST_PARAMS)
    state = state_of(req)
    project = list_project(req)
    req.enforce("message:get_all", {"project_id": req.context.project_id or ""})
    stmt = select(Message)
    if project is not None:
        stmt = stmt.where(Message.project_id == project)
    columns = {
        "resource_uuid": Message.resource_uuid,
        "resource_type": Message.resource_type,
        "event_id": Message.event_id,
        "request_id": Message.request_id,
        "message_level": Message.message_level,
    }
    for key, column in columns.items():
        if key in req.query:
            stmt = stmt.where(column == req.query[key])
    keys = paging.parse_sort(
        req.query.get("sort"),
        req.query.get("sort_key"),
        req.query.get("sort_dir"),
        SORT_COLUMNS,
        Message.id,
    )
    limit = paging.parse_limit(req.query.get("limit"))
    async with state.db.reader() as s:
        rows = await paging.page(
            s,
            stmt,
            keys=keys,
            id_col=Message.id,
            marker=req.query.get("marker"),
            limit=limit,
            scope=None,
        )
    return json_response({"messages": [view(req, m) for m in rows]})


async def show_message(req: ApiRequest) -> Response:
    _check_version(req)
    state = state_of(req)
    async with state.db.reader() as s:
        found = await user_messages.get(s, req.context, req.param("message_id"))
    req.enforce("message:get", {"project_id": found.project_id})
    return json_response({"message": view(req, found)})


async def delete_message(req: ApiRequest) -> Response:
    _check_version(req)
    state = state_of(req)
    async with state.db.session() as s:
        found = await user_messages.get(s, req.context, req.param("message_id"))
        req.enforce("message:delete", {"project_id": found.project_id})
        await s.delete(found)
    return empty(204)
