"""``os-services``: list compute processes, enable/disable/force down, delete."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import delete, select
from starlette.responses import Response

from nimbostack.compute.api.deps import ApiState, compute_conf, state_of
from nimbostack.compute.db.models import ComputeNode, Instance, Service
from nimbostack.compute.objects import aggregates
from nimbostack.compute.objects import services as service_rows
from nimbostack.core.api.microversion import Version
from nimbostack.core.api.params import bounded_int
from nimbostack.core.api.request import ApiRequest
from nimbostack.core.api.responses import empty, json_response
from nimbostack.core.api.schema import MAX_INT
from nimbostack.core.errors import BadRequest, Conflict, NotFound
from nimbostack.core.timeutil import iso


def _time(ts: float | None) -> str | None:
    value = iso(ts, micro=True)
    return value[:-1] if value else None


def _view(req: ApiRequest, state: ApiState, row: Service, zones: dict[str, str]) -> dict[str, Any]:
    version = req.version or Version(2, 1)
    conf = compute_conf(state)
    up = service_rows.is_up(row, float(conf.service_down_time))
    zone = "internal"
    if row.binary == service_rows.COMPUTE:
        zone = zones.get(row.host, str(conf.default_availability_zone))
    body: dict[str, Any] = {
        "id": row.uuid if version.matches("2.53") else row.id,
        "binary": row.binary,
        "disabled_reason": row.disabled_reason,
        "host": row.host,
        "state": "up" if up else "down",
        "status": "disabled" if row.disabled else "enabled",
        "updated_at": _time(row.updated_at),
        "zone": zone,
    }
    if version.matches("2.11"):
        body["forced_down"] = row.forced_down
    return body


async def list_services(req: ApiRequest) -> Response:
    state = state_of(req)
    req.enforce("os_compute_api:os-services:list")
    stmt = select(Service).order_by(Service.id)
    if req.query.get("host"):
        stmt = stmt.where(Service.host == req.query["host"])
    if req.query.get("binary"):
        stmt = stmt.where(Service.binary == req.query["binary"])
    async with state.db.session() as s:
        rows = list((await s.scalars(stmt)).all())
    zones = await aggregates.host_zones(state.db)
    return json_response({"services": [_view(req, state, r, zones) for r in rows]})


UPDATE_SCHEMA = {
    "type": "object",
    "properties": {
        "status": {"enum": ["enabled", "disabled"]},
        "disabled_reason": {"type": "string", "minLength": 1, "maxLength": 255},
        "forced_down": {"type": "boolean"},
    },
    "minProperties": 1,
    "additionalProperties": False,
}


async def _find(state: ApiState, ident: str) -> Service:
    async with state.db.session() as s:
        number = bounded_int(ident, 0, MAX_INT)
        row = (
            await s.get(Service, ident)
            if number is None
            else await s.scalar(select(Service).where(Service.id == number))
        )
    if row is None:
        raise NotFound(f"Service {ident} could not be found.")
    return row


async def _apply(state: ApiState, row: Service, values: dict[str, Any]) -> Service:
    async with state.db.session() as s:
        fresh = await s.get(Service, row.uuid)
        assert fresh is not None
        for key, value in values.items():
            setattr(fresh, key, value)
        fresh.updated_at = time.time()
        return fresh


async def update_service(req: ApiRequest) -> Response:
    state = state_of(req)
    req.enforce("os_compute_api:os-services:update")
    if not (req.version or Version(2, 1)).matches("2.53"):
        return await _legacy_update(req, state, req.param("service_id"))
    body = await req.json(UPDATE_SCHEMA)
    row = await _find(state, req.param("service_id"))
    values: dict[str, Any] = {}
    if "disabled_reason" in body and body.get("status") != "disabled":
        raise BadRequest("Specifying 'disabled_reason' with status 'enabled' is invalid.")
    if "status" in body:
        values["disabled"] = body["status"] == "disabled"
        values["disabled_reason"] = body.get("disabled_reason")
    if "forced_down" in body:
        if row.binary != service_rows.COMPUTE:
            raise BadRequest("Updating a non nova-compute service is not supported.")
        values["forced_down"] = body["forced_down"]
    row = await _apply(state, row, values)
    zones = await aggregates.host_zones(state.db)
    return json_response({"service": _view(req, state, row, zones)})


async def _legacy_update(req: ApiRequest, state: ApiState, verb: str) -> Response:
    body = await req.json({"type": "object", "required": ["host", "binary"]})
    async with state.db.session() as s:
        row = await s.scalar(
            select(Service).where(Service.host == body["host"], Service.binary == body["binary"])
        )
    if row is None:
        raise NotFound(f"Service {body['binary']} on host {body['host']} could not be found.")
    values: dict[str, Any] = {}
    if verb == "enable":
        values = {"disabled": False, "disabled_reason": None}
    elif verb in ("disable", "disable-log-reason"):
        values = {"disabled": True, "disabled_reason": body.get("disabled_reason")}
    elif verb == "force-down":
        values = {"forced_down": bool(body.get("forced_down", True))}
    else:
        raise NotFound(f"Unknown action {verb}")
    row = await _apply(state, row, values)
    shown: dict[str, Any] = {"host": row.host, "binary": row.binary}
    if "disabled" in values:
        shown["status"] = "disabled" if row.disabled else "enabled"
        if row.disabled_reason:
            shown["disabled_reason"] = row.disabled_reason
    else:
        shown["forced_down"] = row.forced_down
    return json_response({"service": shown})


async def delete_service(req: ApiRequest) -> Response:
    state = state_of(req)
    req.enforce("os_compute_api:os-services:delete")
    row = await _find(state, req.param("service_id"))
    async with state.db.session() as s:
        if row.binary == service_rows.COMPUTE:
            hosting = await s.scalar(
                select(Instance.uuid)
                .where(Instance.host == row.host, Instance.deleted.is_(False))
                .limit(1)
            )
            if hosting is not None:
                raise Conflict("Unable to delete compute service that is hosting instances.")
            await s.execute(delete(ComputeNode).where(ComputeNode.host == row.host))
        await s.execute(delete(Service).where(Service.uuid == row.uuid))
    return empty(204)
