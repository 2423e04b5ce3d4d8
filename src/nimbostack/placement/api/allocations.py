"""Handlers for /allocations/{consumer_uuid}, POST /allocations, provider allocations."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from nimbostack.core.api.request import ApiRequest
from nimbostack.core.api.responses import empty, json_response
from nimbostack.core.errors import NotFound
from nimbostack.placement.api.params import at_least
from nimbostack.placement.objects import allocations, providers, usages
from nimbostack.placement.objects.allocations import UNCHECKED, ConsumerWrite
from nimbostack.placement.objects.inventories import MAX_INT
from nimbostack.placement.state import state_of

_RESOURCES = {
    "type": "object",
    "minProperties": 1,
    "patternProperties": {"^[A-Z0-9_]+$": {"type": "integer", "minimum": 1, "maximum": MAX_INT}},
    "additionalProperties": False,
}
_OWNER = {"type": "string", "minLength": 1, "maxLength": 255}
_LEGACY_LIST = {
    "type": "array",
    "minItems": 1,
    "items": {
        "type": "object",
        "properties": {
            "resource_provider": {
                "type": "object",
                "properties": {"uuid": {"type": "string", "format": "uuid"}},
                "required": ["uuid"],
            },
            "resources": _RESOURCES,
        },
        "required": ["resource_provider", "resources"],
    },
}
_BY_PROVIDER = {
    "type": "object",
    "patternProperties": {
        "^[0-9a-fA-F-]{32,36}$": {
            "type": "object",
            "properties": {"resources": _RESOURCES, "generation": {"type": "integer"}},
            "required": ["resources"],
            "additionalProperties": False,
        }
    },
    "additionalProperties": False,
}


def consumer_schema(req: ApiRequest) -> dict[str, Any]:
    """The body of one consumer's allocations at this microversion."""
    props: dict[str, Any] = {
        "allocations": _BY_PROVIDER if at_least(req, "1.12") else _LEGACY_LIST,
        "project_id": _OWNER,
        "user_id": _OWNER,
    }
    required = ["allocations"]
    if at_least(req, "1.8"):
        required += ["project_id", "user_id"]
    if at_least(req, "1.28"):
        props["consumer_generation"] = {"type": ["integer", "null"], "minimum": 0}
        required.append("consumer_generation")
    if at_least(req, "1.34"):
        props["mappings"] = {"type": "object"}
    if at_least(req, "1.38"):
        props["consumer_type"] = {"type": "string", "pattern": "^[A-Z0-9_]+$", "maxLength": 255}
        required.append("consumer_type")
    return {
        "type": "object",
        "properties": props,
        "required": required,
        "additionalProperties": False,
    }


def to_write(req: ApiRequest, consumer: str, body: dict[str, Any]) -> ConsumerWrite:
    raw = body["allocations"]
    if isinstance(raw, list):
        allocs: dict[str, dict[str, int]] = {}
        for item in raw:
            uuid = providers.normalize_uuid(item["resource_provider"]["uuid"], "uuid")
            allocs.setdefault(uuid, {}).update(item["resources"])
    else:
        allocs = {
            providers.normalize_uuid(rp, "allocations"): dict(v["resources"])
            for rp, v in raw.items()
        }
    return ConsumerWrite(
        consumer=consumer,
        allocations=allocs,
        project_id=body.get("project_id"),
        user_id=body.get("user_id"),
        generation=body.get("consumer_generation") if at_least(req, "1.28") else UNCHECKED,
        consumer_type=body.get("consumer_type"),
    )


async def list_for_consumer(req: ApiRequest) -> Response:
    req.enforce("placement:allocations:list")
    consumer = providers.normalize_uuid(req.param("consumer_uuid"), "consumer_uuid")
    async with state_of(req).db.session() as s:
        view = await usages.for_consumer(s, consumer)
    body: dict[str, Any] = {
        "allocations": {
            rp: {"generation": view.generations[rp], "resources": res}
            for rp, res in view.allocations.items()
        }
    }
    if at_least(req, "1.12") and view.project_id is not None:
        body.update(project_id=view.project_id, user_id=view.user_id)
    if at_least(req, "1.28") and view.generation is not None:
        body["consumer_generation"] = view.generation
    if at_least(req, "1.38") and view.generation is not None:
        body["consumer_type"] = view.consumer_type or usages.UNKNOWN_TYPE
    return json_response(body)


async def set_for_consumer(req: ApiRequest) -> Response:
    req.enforce("placement:allocations:update")
    consumer = providers.normalize_uuid(req.param("consumer_uuid"), "consumer_uuid")
    body = await req.json(consumer_schema(req))
    state = state_of(req)
    await allocations.write(state.db, [to_write(req, consumer, body)], state.retries)
    return empty(204)


async def manage_allocations(req: ApiRequest) -> Response:
    req.enforce("placement:allocations:manage")
    one = consumer_schema(req)
    schema = {
        "type": "object",
        "minProperties": 1,
        "patternProperties": {"^[0-9a-fA-F-]{32,36}$": one},
        "additionalProperties": False,
    }
    body = await req.json(schema)
    items = [
        to_write(req, providers.normalize_uuid(c, "consumer_uuid"), v) for c, v in body.items()
    ]
    state = state_of(req)
    await allocations.write(state.db, items, state.retries)
    return empty(204)


async def delete_for_consumer(req: ApiRequest) -> Response:
    req.enforce("placement:allocations:delete")
    consumer = providers.normalize_uuid(req.param("consumer_uuid"), "consumer_uuid")
    state = state_of(req)
    async with state.db.session() as s:
        view = await usages.for_consumer(s, consumer)
    if not view.allocations:
        raise NotFound(f"No allocations for consumer '{consumer}'")
    await allocations.write(state.db, [ConsumerWrite(consumer, {})], state.retries)
    return empty(204)


async def list_for_provider(req: ApiRequest) -> Response:
    req.enforce("placement:resource_providers:allocations:list")
    async with state_of(req).db.session() as s:
        rp = await providers.get(s, req.param("uuid"))
        found = await usages.for_provider(s, rp.id)
    body = {
        "allocations": {c: {"resources": res} for c, res in found.items()},
        "resource_provider_generation": rp.generation,
    }
    return json_response(body)
