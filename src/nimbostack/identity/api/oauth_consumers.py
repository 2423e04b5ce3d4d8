"""OAuth1 consumers: /v3/OS-OAUTH1/consumers (CRUD only; no OAuth1 token flow).

The secret is generated here, shown once in the create response, and kept encrypted.
"""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import select
from starlette.responses import Response

from nimbostack.core.api.request import ApiRequest
from nimbostack.core.api.responses import empty, json_response
from nimbostack.core.errors import BadRequest
from nimbostack.identity.api.entities import (
    DESCRIPTION,
    envelope,
    get_or_404,
    new_id,
    reading,
    writing,
)
from nimbostack.identity.api.links import collection, self_link
from nimbostack.identity.db.extension_models import Consumer
from nimbostack.identity.objects.credentials import encrypt
from nimbostack.identity.state import state_of

PATH = "/v3/OS-OAUTH1/consumers"
CREATE = envelope("consumer", {"description": DESCRIPTION}, strict=False)
UPDATE = envelope("consumer", {"description": DESCRIPTION}, strict=False)
_NOT_EXTRA = ("id", "links", "description", "secret")


def view(req: ApiRequest, consumer: Consumer) -> dict[str, Any]:
    return {
        **consumer.extra,
        "id": consumer.id,
        "description": consumer.description,
        "links": self_link(req, f"{PATH}/{consumer.id}"),
    }


def _extra(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k not in _NOT_EXTRA}


async def list_consumers(req: ApiRequest) -> Response:
    req.enforce("identity:list_consumers", {})
    async with reading(req) as s:
        rows = list(await s.scalars(select(Consumer).order_by(Consumer.id)))
    return json_response(collection(req, "consumers", [view(req, c) for c in rows]))


async def show_consumer(req: ApiRequest) -> Response:
    req.enforce("identity:get_consumer", {})
    async with reading(req) as s:
        consumer = await get_or_404(s, Consumer, req.param("consumer_id"), "consumer")
    return json_response({"consumer": view(req, consumer)})


async def create_consumer(req: ApiRequest) -> Response:
    req.enforce("identity:create_consumer", {})
    body = (await req.json(CREATE))["consumer"]
    if "secret" in body:
        raise BadRequest("Invalid input for field 'consumer.secret': it is generated, not given.")
    secret = secrets.token_urlsafe(24)
    consumer = Consumer(
        id=new_id(),
        description=body.get("description"),
        encrypted_secret=encrypt(state_of(req).secrets, secret),
        extra=_extra(body),
    )
    async with writing(req, "consumer") as s:
        s.add(consumer)
    return json_response({"consumer": {**view(req, consumer), "secret": secret}}, 201)


async def update_consumer(req: ApiRequest) -> Response:
    req.enforce("identity:update_consumer", {})
    body = (await req.json(UPDATE))["consumer"]
    if "secret" in body:
        raise BadRequest("Invalid input for field 'consumer.secret': it cannot be changed.")
    async with writing(req, "consumer") as s:
        consumer = await get_or_404(s, Consumer, req.param("consumer_id"), "consumer", lock=True)
        if "description" in body:
            consumer.description = body["description"]
        consumer.extra = {**consumer.extra, **_extra(body)}
    return json_response({"consumer": view(req, consumer)})


async def delete_consumer(req: ApiRequest) -> Response:
    req.enforce("identity:delete_consumer", {})
    async with writing(req, "consumer") as s:
        consumer = await get_or_404(s, Consumer, req.param("consumer_id"), "consumer")
        await s.delete(consumer)
    return empty(204)
