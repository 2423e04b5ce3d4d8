"""``/servers/{id}/os-instance-actions[/{request_id}]``: actions and their events."""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import select
from starlette.responses import Response

from nimbostack.compute.api import paging
from nimbostack.compute.api.deps import public_url, state_of
from nimbostack.compute.db.models import Instance, InstanceAction, InstanceActionEvent
from nimbostack.core.api.microversion import Version
from nimbostack.core.api.request import ApiRequest
from nimbostack.core.api.responses import json_response
from nimbostack.core.errors import BadRequest, NotFound
from nimbostack.core.timeutil import iso, parse_iso

P = "os_compute_api:os-instance-actions:"


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


def _filter(req: ApiRequest, rows: list[InstanceAction]) -> list[InstanceAction]:
    if not (req.version or Version(2, 1)).matches("2.58"):
        return rows
    for name, sign in (("changes-since", 1), ("changes-before", -1)):
        raw = req.query.get(name)
        if raw is not None:
            try:
                when = parse_iso(raw)
            except ValueError:
                raise BadRequest(f"Invalid input for query parameters {name}.") from None
            rows = [r for r in rows if sign * ((r.updated_at or r.start_time) - when) >= 0]
    marker = req.query.get("marker")
    if marker is not None:
        ids = [r.request_id for r in rows]
        if marker not in ids:
            raise BadRequest(f"Marker {marker} could not be found.")
        rows = rows[ids.index(marker) + 1 :]
    limit = paging.limit_param(req)
    if limit is not None:
        rows = rows[:limit]
    return rows


async def list_instance_actions(req: ApiRequest) -> Response:
    state = state_of(req)
    instance = await _instance(req)
    req.enforce(P + "list", {"project_id": instance.project_id})
    async with state.db.session() as s:
        rows = list(
            (
                await s.scalars(
                    select(InstanceAction)
                    .where(InstanceAction.instance_uuid == instance.uuid)
                    .order_by(InstanceAction.start_time.desc(), InstanceAction.id.desc())
                )
            ).all()
        )
    rows = _filter(req, rows)
    body: dict[str, Any] = {"instanceActions": [_action(req, r) for r in rows]}
    limit = paging.limit_param(req)
    if limit and rows and len(rows) == limit:
        href = (
            f"{public_url(req)}/v2.1/servers/{instance.uuid}/os-instance-actions"
            f"?limit={limit}&marker={rows[-1].request_id}"
        )
        body["links"] = [{"rel": "next", "href": href}]
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
    if version.matches("2.84") and event.result == "Error":
        body["details"] = event.details
    return body


async def show_instance_action(req: ApiRequest) -> Response:
    state = state_of(req)
    instance = await _instance(req)
    req.enforce(P + "show", {"project_id": instance.project_id})
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
    admin = req.allowed(P + "events", {"project_id": instance.project_id})
    body = _action(req, row)
    if admin or (req.version or Version(2, 1)).matches("2.51"):
        body["events"] = [_event(req, instance, e, admin) for e in events]
    return json_response({"instanceAction": body})
