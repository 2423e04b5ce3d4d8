"""Image records over HTTP: create, show, list, delete, deactivate, reactivate."""

from __future__ import annotations

import contextlib
import uuid
from typing import Any
from urllib.parse import urlencode

from starlette.responses import Response

from nimbostack.core.api.request import ApiRequest
from nimbostack.core.api.responses import empty, json_response
from nimbostack.core.context import RequestContext
from nimbostack.core.errors import BadRequest, Forbidden, NotFound
from nimbostack.image.api import attributes
from nimbostack.image.api.listing import parse_query
from nimbostack.image.api.views import image_view
from nimbostack.image.db.models import Image
from nimbostack.image.objects import images
from nimbostack.image.objects.listing import list_images as query_images
from nimbostack.image.state import ImageState, state_of

IMPORT_HEADERS = {
    "OpenStack-image-import-methods": "glance-direct,web-download",
    "OpenStack-image-store-ids": "file",
}


def target(image: Image) -> dict[str, Any]:
    return {"owner": image.owner, "project_id": image.owner, "visibility": image.visibility}


def check_visibility_change(req: ApiRequest, visibility: str, owner: str | None) -> None:
    """Publishing needs ``publicize_image``; community needs ``communitize_image``."""
    if visibility == "public":
        req.enforce("publicize_image", {"owner": owner})
    elif visibility == "community":
        req.enforce("communitize_image", {"owner": owner})


async def render(state: ImageState, image: Image) -> dict[str, Any]:
    tags = await images.tags_of(state.db, [image.id])
    return image_view(image, tags[image.id])


def _split_create_body(
    body: dict[str, Any], state: ImageState, ctx: RequestContext
) -> tuple[dict[str, Any], list[str]]:
    values: dict[str, Any] = {"properties": {}}
    tags: list[str] = []
    for name, value in body.items():
        attributes.refuse_protected_names(name)
        if name == "tags":
            tags = attributes.tag_list(value, state.conf)
        elif name in attributes.BASE:
            values[name] = attributes.base_value(name, value, state.conf)
        else:
            values["properties"][name] = attributes.property_value(name, value)
    attributes.check_property_count(values["properties"], state.conf)
    values.setdefault("id", str(uuid.uuid4()))
    values.setdefault("visibility", "shared")
    values.setdefault("owner", ctx.project_id)
    return values, tags


async def create_image(req: ApiRequest) -> Response:
    state = state_of(req)
    body = await req.json()
    if not isinstance(body, dict):
        raise BadRequest("The request body must be a JSON object.")
    values, tags = _split_create_body(body, state, req.context)
    req.enforce("add_image", {"owner": values["owner"]})
    check_visibility_change(req, values["visibility"], values["owner"])
    image = await images.create(state.db, values, tags)
    return json_response(image_view(image, tags), 201, headers=IMPORT_HEADERS)


async def no_image(req: ApiRequest) -> Response:
    raise NotFound("No image found with an empty ID.")


async def show_image(req: ApiRequest) -> Response:
    state = state_of(req)
    req.enforce("get_image")
    image = await images.load(state.db, req.context, req.param("image_id"))
    return json_response(await render(state, image), headers=IMPORT_HEADERS)


async def list_images(req: ApiRequest) -> Response:
    state = state_of(req)
    req.enforce("get_images")
    query = parse_query(req.query, state.conf)
    rows = await query_images(state.db, req.context, query)
    tags = await images.tags_of(state.db, [row.id for row in rows])
    body: dict[str, Any] = {
        "images": [image_view(row, tags[row.id]) for row in rows],
        "first": "/v2/images",
        "schema": "/v2/schemas/images",
    }
    if len(rows) == query.limit and rows:
        body["next"] = _next_link(req, rows[-1].id)
    return json_response(body)


def _next_link(req: ApiRequest, marker: str) -> str:
    params = [(k, v) for k, v in req.query.multi_items() if k != "marker"]
    params.append(("marker", marker))
    return f"/v2/images?{urlencode(params)}"


async def delete_image(req: ApiRequest) -> Response:
    state = state_of(req)
    image = await images.load(state.db, req.context, req.param("image_id"))
    req.enforce("delete_image", target(image))
    if image.protected:
        raise Forbidden(f"Image {image.id} is protected and cannot be deleted.")
    location = await images.remove(state.db, image.id)
    if location:
        with contextlib.suppress(OSError, ValueError):
            await state.store.delete(location)
    with contextlib.suppress(OSError):
        await state.staging.delete(state.staging.location_of(image.id))
    return empty(204)


async def deactivate_image(req: ApiRequest) -> Response:
    return await _toggle(req, "deactivate", ("active", "deactivated"), "deactivated")


async def reactivate_image(req: ApiRequest) -> Response:
    return await _toggle(req, "reactivate", ("active", "deactivated"), "active")


async def _toggle(req: ApiRequest, rule: str, sources: tuple[str, ...], to: str) -> Response:
    state = state_of(req)
    image = await images.load(state.db, req.context, req.param("image_id"))
    req.enforce(rule, target(image))
    if not await images.transition(state.db, image.id, sources, status=to):
        raise Forbidden(f"Not allowed to {rule} image in status '{image.status}'.")
    return empty(204)
