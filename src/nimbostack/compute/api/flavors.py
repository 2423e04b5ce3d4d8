"""Flavors: list (brief and detail), show, create, update (description), delete."""

from __future__ import annotations

import math
from typing import Any
from uuid import uuid4

from starlette.responses import Response

from nimbostack.compute.api import paging
from nimbostack.compute.api.deps import state_of
from nimbostack.compute.api.server_lookup import viewer
from nimbostack.compute.api.views import flavors as views
from nimbostack.compute.objects import flavors
from nimbostack.compute.objects.flavors import FlavorQuery
from nimbostack.core.api.microversion import Version
from nimbostack.core.api.request import ApiRequest
from nimbostack.core.api.responses import empty, json_response
from nimbostack.core.api.schema import MAX_BIGINT, MAX_INT
from nimbostack.core.errors import BadRequest

# A count may come as a string of digits; either way it must fit a 32-bit column.
COUNT = {
    "type": ["integer", "string"],
    "pattern": "^[0-9]+$",
    "maxLength": 10,
    "minimum": 0,
    "maximum": MAX_INT,
}
NAME = {"type": "string", "minLength": 1, "maxLength": 255, "pattern": r"^(?!\s)[\s\S]*(?<!\s)$"}
# Clients often send the id as a JSON integer; it is stored as a string either way.
# Nova's bounds: a positive decimal, at most the largest single-precision float SQL keeps.
MAX_FLOAT = 3.40282e38
RXTX_FACTOR = {
    "type": ["number", "string"],
    "pattern": r"^[0-9]+(\.[0-9]+)?$",
    "maxLength": 64,
    "exclusiveMinimum": 0,
    "maximum": MAX_FLOAT,
}
FLAVOR_ID = {
    "type": ["string", "integer", "null"],
    "minLength": 1,
    "maxLength": 255,
    "pattern": r"^(?! )[a-zA-Z0-9. _-]+(?<! )$",
}


def _create_schema(version: Version) -> dict[str, Any]:
    props: dict[str, Any] = {
        "name": NAME,
        "id": FLAVOR_ID,
        "ram": COUNT,
        "vcpus": COUNT,
        "disk": COUNT,
        "OS-FLV-EXT-DATA:ephemeral": COUNT,
        "swap": COUNT,
        "rxtx_factor": RXTX_FACTOR,
        "os-flavor-access:is_public": {"type": ["boolean", "string"]},
    }
    if version.matches("2.55"):
        props["description"] = {"type": ["string", "null"], "maxLength": 65535}
    return {
        "type": "object",
        "properties": {
            "flavor": {
                "type": "object",
                "properties": props,
                "required": ["name", "ram", "vcpus", "disk"],
                "additionalProperties": False,
            }
        },
        "required": ["flavor"],
        "additionalProperties": False,
    }


def _int(body: dict[str, Any], name: str, low: int, default: int = 0) -> int:
    value = int(body.get(name, default) or 0)
    if value < low or value > MAX_INT:
        raise BadRequest(f"Invalid input for field '{name}': must be between {low} and 2147483647")
    return value


def _public(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text not in ("true", "false", "1", "0", "yes", "no", "t", "f"):
        raise BadRequest(f"Invalid input for field 'os-flavor-access:is_public': {raw!r}")
    return text in ("true", "1", "yes", "t")


def _ratio(raw: Any) -> float:
    """rxtx_factor as a float; the schema let through digits, but not their size or NaN."""
    ratio = float(raw)
    if not (math.isfinite(ratio) and 0 < ratio <= MAX_FLOAT):
        raise BadRequest(
            f"Invalid input for field 'rxtx_factor': {raw!r} is not a number between 0 "
            f"(excluded) and {MAX_FLOAT}"
        )
    return ratio


def _values(flavor: dict[str, Any]) -> dict[str, Any]:
    ratio = _ratio(flavor.get("rxtx_factor", 1.0))
    return {
        "flavorid": str(uuid4() if flavor.get("id") is None else flavor["id"]),
        "name": flavor["name"],
        "memory_mb": _int(flavor, "ram", 1),
        "vcpus": _int(flavor, "vcpus", 1),
        "root_gb": _int(flavor, "disk", 0),
        "ephemeral_gb": _int(flavor, "OS-FLV-EXT-DATA:ephemeral", 0),
        "swap": _int(flavor, "swap", 0),
        "rxtx_factor": ratio,
        "is_public": _public(flavor.get("os-flavor-access:is_public", True)),
        "description": flavor.get("description"),
    }


async def create_flavor(req: ApiRequest) -> Response:
    state = state_of(req)
    req.enforce("os_compute_api:os-flavor-manage:create")
    body = await req.json(_create_schema(req.version or Version(2, 1)))
    # A private flavor starts with an empty access list (as in Nova): admins see it anyway.
    created = await flavors.create(state.db, _values(body["flavor"]))
    return json_response({"flavor": views.full(viewer(req), created)})


def _query(req: ApiRequest) -> FlavorQuery:
    q = FlavorQuery()
    raw = req.query.get("is_public")
    if raw is not None and req.context.is_admin:
        q.is_public = None if raw.lower() == "none" else _public(raw)
    elif not req.context.is_admin:
        q.is_public = None
    for param, attr in (("minRam", "min_ram"), ("minDisk", "min_disk")):
        message = f"Invalid {param} filter [{{value}}]"
        found = req.query_int(param, maximum=MAX_BIGINT, message=message)
        if found is not None:
            setattr(q, attr, found)
    q.sort_key = req.query.get("sort_key", "flavorid")
    q.sort_dir = req.query.get("sort_dir", "asc")
    if q.sort_key not in flavors.SORT_KEYS or q.sort_dir not in ("asc", "desc"):
        raise BadRequest("Invalid sort_key or sort_dir provided")
    q.limit = paging.page_size(req)
    q.marker = req.query.get("marker")
    return q


async def _list(req: ApiRequest, detail: bool) -> Response:
    state = state_of(req)
    q = _query(req)
    rows = await flavors.query(state.db, req.context, q, paging.marker_not_listed)
    see = viewer(req)
    body: dict[str, Any] = {
        "flavors": [views.full(see, f) if detail else views.brief(see, f) for f in rows]
    }
    path = "/flavors/detail" if detail else "/flavors"
    ids = [f.flavorid for f in rows]
    paging.add_next_link(body, "flavors_links", req, path, limit=q.limit, shown=ids)
    return json_response(body)


async def list_flavors(req: ApiRequest) -> Response:
    return await _list(req, detail=False)


async def list_flavors_detail(req: ApiRequest) -> Response:
    return await _list(req, detail=True)


async def show_flavor(req: ApiRequest) -> Response:
    state = state_of(req)
    async with state.db.session() as s:
        flavor = await flavors.get(s, req.context, req.param("flavor_id"))
    return json_response({"flavor": views.full(viewer(req), flavor)})


UPDATE_SCHEMA = {
    "type": "object",
    "properties": {
        "flavor": {
            "type": "object",
            "properties": {"description": {"type": ["string", "null"], "maxLength": 65535}},
            "required": ["description"],
            "additionalProperties": False,
        }
    },
    "required": ["flavor"],
    "additionalProperties": False,
}


async def update_flavor(req: ApiRequest) -> Response:
    state = state_of(req)
    if not (req.version or Version(2, 1)).matches("2.55"):
        raise_not_found()
    req.enforce("os_compute_api:os-flavor-manage:update")
    body = await req.json(UPDATE_SCHEMA)
    flavor = await flavors.update(
        state.db, req.context, req.param("flavor_id"), description=body["flavor"]["description"]
    )
    return json_response({"flavor": views.full(viewer(req), flavor)})


def raise_not_found() -> None:
    from nimbostack.core.errors import MethodNotAllowed

    raise MethodNotAllowed("The method specified is not allowed for this resource.")


async def delete_flavor(req: ApiRequest) -> Response:
    state = state_of(req)
    req.enforce("os_compute_api:os-flavor-manage:delete")
    await flavors.remove(state.db, req.param("flavor_id"))
    return empty(202)
