"""``os-aggregates``: CRUD, add/remove host, set metadata (``availability_zone`` makes an AZ)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from starlette.responses import Response

from nimbostack.compute.api.deps import state_of
from nimbostack.compute.db.models import Aggregate, Service
from nimbostack.compute.objects import aggregates
from nimbostack.compute.objects.aggregates import AZ_KEY
from nimbostack.core.api.microversion import Version
from nimbostack.core.api.request import ApiRequest
from nimbostack.core.api.responses import empty, json_response
from nimbostack.core.errors import BadRequest, NotFound
from nimbostack.core.timeutil import iso

NAME = {"type": "string", "minLength": 1, "maxLength": 255}
ZONE = {"type": ["string", "null"], "minLength": 1, "maxLength": 255}
HOST = {
    "type": "object",
    "properties": {"host": NAME},
    "required": ["host"],
    "additionalProperties": False,
}
ACTION_SCHEMA = {
    "type": "object",
    "properties": {
        "add_host": HOST,
        "remove_host": HOST,
        "set_metadata": {
            "type": "object",
            "properties": {"metadata": {"type": "object"}},
            "required": ["metadata"],
            "additionalProperties": False,
        },
    },
    "minProperties": 1,
    "maxProperties": 1,
    "additionalProperties": False,
}


def _time(ts: float | None) -> str | None:
    value = iso(ts, micro=True)
    return value[:-1] if value else None


def _view(req: ApiRequest, agg: Aggregate) -> dict[str, Any]:
    body = {
        "id": agg.id,
        "name": agg.name,
        "availability_zone": (agg.metadata_ or {}).get(AZ_KEY),
        "hosts": list(agg.hosts or []),
        "metadata": dict(agg.metadata_ or {}),
        "created_at": _time(agg.created_at),
        "updated_at": _time(agg.updated_at),
        "deleted": False,
        "deleted_at": None,
    }
    if (req.version or Version(2, 1)).matches("2.41"):
        body["uuid"] = agg.uuid
    return body


async def list_aggregates(req: ApiRequest) -> Response:
    req.enforce("os_compute_api:os-aggregates:index")
    rows = await aggregates.list_all(state_of(req).db)
    return json_response({"aggregates": [_view(req, a) for a in rows]})


async def create_aggregate(req: ApiRequest) -> Response:
    req.enforce("os_compute_api:os-aggregates:create")
    schema = {
        "type": "object",
        "properties": {
            "aggregate": {
                "type": "object",
                "properties": {"name": NAME, "availability_zone": ZONE},
                "required": ["name"],
                "additionalProperties": False,
            }
        },
        "required": ["aggregate"],
        "additionalProperties": False,
    }
    body = (await req.json(schema))["aggregate"]
    agg = await aggregates.create(state_of(req).db, body["name"], body.get("availability_zone"))
    view = _view(req, agg)
    # A new aggregate has no hosts and no metadata yet; the create answer leaves them out.
    del view["hosts"], view["metadata"]
    return json_response({"aggregate": view})


async def _get(req: ApiRequest) -> Aggregate:
    return await aggregates.get(state_of(req).db, req.param("aggregate_id"))


async def show_aggregate(req: ApiRequest) -> Response:
    req.enforce("os_compute_api:os-aggregates:show")
    return json_response({"aggregate": _view(req, await _get(req))})


async def update_aggregate(req: ApiRequest) -> Response:
    req.enforce("os_compute_api:os-aggregates:update")
    schema = {
        "type": "object",
        "properties": {
            "aggregate": {
                "type": "object",
                "properties": {"name": NAME, "availability_zone": ZONE},
                "minProperties": 1,
                "additionalProperties": False,
            }
        },
        "required": ["aggregate"],
        "additionalProperties": False,
    }
    body = (await req.json(schema))["aggregate"]
    agg = await _get(req)
    zone = {AZ_KEY: body["availability_zone"]} if "availability_zone" in body else None
    agg = await aggregates.update(state_of(req).db, agg.id, name=body.get("name"), metadata=zone)
    return json_response({"aggregate": _view(req, agg)})


async def delete_aggregate(req: ApiRequest) -> Response:
    req.enforce("os_compute_api:os-aggregates:delete")
    agg = await _get(req)
    await aggregates.remove(state_of(req).db, agg.id)
    return empty(200)


async def _host_exists(req: ApiRequest, host: str) -> None:
    async with state_of(req).db.session() as s:
        found = await s.scalar(select(Service).where(Service.host == host).limit(1))
    if found is None:
        raise NotFound(f"Compute host {host} could not be found.")


async def aggregate_action(req: ApiRequest) -> Response:
    body = await req.json(ACTION_SCHEMA)
    agg = await _get(req)
    db = state_of(req).db
    if "add_host" in body:
        req.enforce("os_compute_api:os-aggregates:add_host")
        host = body["add_host"]["host"]
        await _host_exists(req, host)
        agg = await aggregates.add_host(db, agg.id, host)
    elif "remove_host" in body:
        req.enforce("os_compute_api:os-aggregates:remove_host")
        agg = await aggregates.remove_host(db, agg.id, body["remove_host"]["host"])
    else:
        req.enforce("os_compute_api:os-aggregates:set_metadata")
        changes = body["set_metadata"]["metadata"]
        for key, value in changes.items():
            if value is not None and (
                not isinstance(value, str) or len(key) > 255 or len(value) > 255
            ):
                raise BadRequest(f"Invalid metadata value for key {key}")
        agg = await aggregates.set_metadata(db, agg.id, changes)
    return json_response({"aggregate": _view(req, agg)})
