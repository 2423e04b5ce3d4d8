"""``/servers/{id}/os-instance-actions[/{request_id}]``: actions and their events."""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import Select, func, select
from starlette.responses import Response

from nimbostack.compute.api import paging
from nimbostack.compute.api.deps import state_of
from nimbostack.compute.db.models import Instance, InstanceAction, InstanceActionEvent
from nimbostack.core.api.microversion import Version
from nimbostack.core.api.request import ApiRequest
from nimbostack.core.api.responses import json_response
from nimbostack.core.db.paging import Page, SortKey
from nimbostack.core.errors import BadRequest, NotFound
from nimbostack.core.timeutil import iso, parse_iso


def _time(ts: float | None) -> str | None:
    value = iso(ts, micro=True)
    return value[:-1] if value else None


async def _instance(req: ApiRequest) -> Instance:
    """The server, deleted or not (its history outlives it), hidden from other projects."""
    state = state_of(req)
    uuid = req.param("server_id")
    async with state.db.session() as s:
        found = await s.get(Instance, uuid)
    visible = found is not None and (
        req.context.is_admin or found.project_id == req.context.project_id
    )
    if found is None or not visible:
        raise NotFound(f"Instance {uuid} could not be found.")
    return found


def _action(req: ApiRequest, row: InstanceAction) -> dict[str, Any]:
    body = {
        "action": row.action,
        "instance_uuid": row.instance_uuid,
        "message": row.message,
        "project_id": row.project_id,
        "request_id": row.request_id,
        "start_time": _time(row.start_time),
        "user_id": row.user_id,
    }
    if (req.version or Version(2, 1)).matches("2.58"):
        body["updated_at"] = _time(row.updated_at or row.start_time)
    return body


def _listed(req: ApiRequest, instance: Instance) -> Select[InstanceAction]:
    """The server's actions, narrowed by ``changes-since``/``changes-before`` from 2.58."""
    stmt = select(InstanceAction).where(InstanceAction.instance_uuid == instance.uuid)
    if not (req.version or Version(2, 1)).matches("2.58"):
        return stmt
    changed = func.coalesce(InstanceAction.updated_at, InstanceAction.start_time)
    for name, newer in (("changes-since", True), ("changes-before", False)):
        raw = req.query.get(name)
        if raw is not None:
            try:
                when = parse_iso(raw)
            except ValueError:
                raise BadRequest(f"Invalid input for query parameters {name}.") from None
            stmt = stmt.where(changed >= when if newer else changed <= when)
    return stmt


def _page(req: ApiRequest) -> Page:
    """Newest first; from 2.58 a page after the ``marker`` request id, of ``limit`` actions."""
    newest = [
        SortKey("start_time", InstanceAction.start_time, ascending=False),
        SortKey("id", InstanceAction.id, ascending=False),
    ]
    if not (req.version or Version(2, 1)).matches("2.58"):
        return Page(InstanceAction.request_id, newest, None)
    limit, marker = paging.page_size(req), req.query.get("marker")
    return Page(InstanceAction.request_id, newest, limit, marker)


async def list_instance_actions(req: ApiRequest) -> Response:
    state = state_of(req)
    instance = await _instance(req)
    req.enforce("os_compute_api:os-instance-actions:list", {"project_id": instance.project_id})
    page = _page(req)
    async with state.db.reader() as s:
        rows = list((await s.scalars(await page.apply(s, _listed(req, instance)))).all())
    body: dict[str, Any] = {"instanceActions": [_action(req, r) for r in rows]}
    path = f"/servers/{instance.uuid}/os-instance-actions"
    ids = [r.request_id for r in rows]
    paging.add_next_link(body, "links", req, path, limit=page.limit, shown=ids)
    return json_response(body)


def _event(
    req: ApiRequest, instance: Instance, event: InstanceActionEvent, admin: bool
) -> dict[str, Any]:
    version = req.version or Version(2, 1)
    body: dict[str, Any] = {
        "event": event.event,
        "start_time": _time(event.start_time),
        "finish_time": _time(event.finish_time),
        "result": event.result,
    }
    if admin:
        body["traceback"] = event.traceback
    if version.matches("2.62"):
        if admin:
            body["host"] = event.host or ""
        raw = (instance.project_id + (event.host or "")).encode()
        body["hostId"] = hashlib.sha224(raw).hexdigest() if event.host else ""
    if (
        version.matches("2.84")
        and event.result == "Error"
        and req.allowed(
            "os_compute_api:os-instance-actions:events:details",
            {"project_id": instance.project_id},
        )
    ):
        body["details"] = event.details
    return body


async def show_instance_action(req: ApiRequest) -> Response:
    state = state_of(req)
    instance = await _instance(req)
    req.enforce("os_compute_api:os-instance-actions:show", {"project_id": instance.project_id})
    request_id = req.param("request_id")
    async with state.db.session() as s:
        row = await s.scalar(
            select(InstanceAction).where(
                InstanceAction.instance_uuid == instance.uuid,
                InstanceAction.request_id == request_id,
            )
        )
        if row is None:
            raise NotFound(f"Action {request_id} not found")
        events = list(
            (
                await s.scalars(
                    select(InstanceActionEvent)
                    .where(InstanceActionEvent.action_id == row.id)
                    .order_by(InstanceActionEvent.start_time.desc())
                )
            ).all()
        )
    admin = req.allowed(
        "os_compute_api:os-instance-actions:events", {"project_id": instance.project_id}
    )
    body = _action(req, row)
    if admin or (req.version or Version(2, 1)).matches("2.51"):
        body["events"] = [_event(req, instance, e, admin) for e in events]
    return json_response({"instanceAction": body})
