"""``/images/{id}/metadata`` (deprecated at 2.36): an image's properties, via the image service.

Changes are sent as JSON patches, so the image service validates and stores them.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from nimbostack.compute.api import images_proxy
from nimbostack.compute.api.deps import compute_conf, state_of
from nimbostack.core.api.request import ApiRequest
from nimbostack.core.api.responses import empty, json_response
from nimbostack.core.errors import BadRequest, Forbidden, NotFound

_VALUE = {"type": "string", "maxLength": 255}
_META = {
    "type": "object",
    "propertyNames": {"minLength": 1, "maxLength": 255},
    "additionalProperties": _VALUE,
}
METADATA_SCHEMA = {
    "type": "object",
    "properties": {"metadata": _META},
    "required": ["metadata"],
    "additionalProperties": False,
}
ITEM_SCHEMA = {
    "type": "object",
    "properties": {"meta": {**_META, "minProperties": 1, "maxProperties": 1}},
    "required": ["meta"],
    "additionalProperties": False,
}
_PATCH_TYPE = "application/openstack-images-v2.1-json-patch"


def _properties(image: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in image.items() if k not in images_proxy.CORE_FIELDS}


def _check_quota(req: ApiRequest, count: int) -> None:
    limit = int(compute_conf(state_of(req)).get("quota_metadata_items", 128))
    if 0 <= limit < count:
        raise Forbidden(f"Quota exceeded for metadata_items: at most {limit} items are allowed.")


async def _apply(
    req: ApiRequest, image_id: str, current: dict[str, Any], wanted: dict[str, Any]
) -> dict[str, Any]:
    """Make the image's properties ``wanted``; return them as stored."""
    _check_quota(req, len(wanted))
    patch: list[dict[str, Any]] = [
        {"op": "remove", "path": f"/{key}"} for key in current if key not in wanted
    ]
    patch += [
        {"op": "replace" if key in current else "add", "path": f"/{key}", "value": value}
        for key, value in wanted.items()
        if current.get(key) != value
    ]
    if not patch:
        return current
    async with images_proxy.glance(req) as (client, base, headers):
        resp = await client.patch(
            images_proxy.image_url(base, image_id),
            json=patch,
            headers={**headers, "Content-Type": _PATCH_TYPE},
        )
    images_proxy.check(resp, image_id)
    return _properties(resp.json())


async def _current(req: ApiRequest) -> tuple[str, dict[str, Any]]:
    image_id = req.param("image_id")
    image, _base = await images_proxy.fetch(req, image_id)
    return image_id, _properties(image)


async def list_metadata(req: ApiRequest) -> Response:
    _image_id, current = await _current(req)
    return json_response({"metadata": current})


async def update_metadata(req: ApiRequest) -> Response:
    """POST: merge the given items into the properties."""
    body = await req.json(METADATA_SCHEMA)
    image_id, current = await _current(req)
    stored = await _apply(req, image_id, current, {**current, **body["metadata"]})
    return json_response({"metadata": stored})


async def replace_metadata(req: ApiRequest) -> Response:
    """PUT: the given items become the whole set of properties."""
    body = await req.json(METADATA_SCHEMA)
    image_id, current = await _current(req)
    stored = await _apply(req, image_id, current, dict(body["metadata"]))
    return json_response({"metadata": stored})


async def show_metadata_item(req: ApiRequest) -> Response:
    _image_id, current = await _current(req)
    key = req.param("key")
    if key not in current:
        raise NotFound(f"Image metadata key {key} could not be found.")
    return json_response({"meta": {key: current[key]}})


async def set_metadata_item(req: ApiRequest) -> Response:
    body = await req.json(ITEM_SCHEMA)
    key = req.param("key")
    if key not in body["meta"]:
        raise BadRequest("Request body and URI mismatch")
    image_id, current = await _current(req)
    stored = await _apply(req, image_id, current, {**current, key: body["meta"][key]})
    return json_response({"meta": {key: stored.get(key)}})


async def delete_metadata_item(req: ApiRequest) -> Response:
    image_id, current = await _current(req)
    key = req.param("key")
    if key not in current:
        raise NotFound(f"Image metadata key {key} could not be found.")
    await _apply(req, image_id, current, {k: v for k, v in current.items() if k != key})
    return empty(204)
