"""Handlers for /resource_providers/{uuid}/aggregates (generation-checked from 1.19)."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from nimbostack.core.api.request import ApiRequest
from nimbostack.core.api.responses import json_response
from nimbostack.placement.api.params import at_least
from nimbostack.placement.objects import aggregates, providers
from nimbostack.placement.state import state_of

# A provider sits in a handful of aggregates; the bound keeps one write short.
MAX_AGGREGATES = 1000
_LIST = {
    "type": "array",
    "items": {"type": "string", "format": "uuid"},
    "uniqueItems": True,
    "maxItems": MAX_AGGREGATES,
}
_WITH_GEN = {
    "type": "object",
    "properties": {
        "aggregates": _LIST,
        "resource_provider_generation": {"type": "integer", "minimum": 0},
    },
    "required": ["aggregates", "resource_provider_generation"],
    "additionalProperties": False,
}


def _body(req: ApiRequest, rp: providers.Provider, aggs: list[str]) -> dict[str, Any]:
    body: dict[str, Any] = {"aggregates": aggs}
    if at_least(req, "1.19"):
        body["resource_provider_generation"] = rp.generation
    return body


async def list_aggregates(req: ApiRequest) -> Response:
    req.enforce("placement:resource_providers:aggregates:list")
    async with state_of(req).db.session() as s:
        rp = await providers.get(s, req.param("uuid"))
        aggs = await aggregates.of_provider(s, rp.id)
    return json_response(_body(req, rp, aggs))


async def update_aggregates(req: ApiRequest) -> Response:
    req.enforce("placement:resource_providers:aggregates:update")
    with_gen = at_least(req, "1.19")
    body = await req.json(_WITH_GEN if with_gen else _LIST)
    wanted = [
        providers.normalize_uuid(a, "aggregates")
        for a in (body["aggregates"] if with_gen else body)
    ]
    async with state_of(req).db.session() as s:
        rp = await providers.get(s, req.param("uuid"))
        if with_gen:
            providers.check_generation(rp, body["resource_provider_generation"])
        aggs = await aggregates.replace(s, rp, wanted)
    return json_response(_body(req, rp, aggs))
