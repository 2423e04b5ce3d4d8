"""PATCH /v2/images/{id}: JSON-patch (add, replace, remove) on base and custom properties."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from starlette.responses import Response

from nimbostack.core.api.jsonbody import decode_json
from nimbostack.core.api.request import ApiRequest
from nimbostack.core.api.responses import json_response
from nimbostack.core.errors import BadRequest, Conflict, Forbidden, UnsupportedMediaType
from nimbostack.image.api import attributes
from nimbostack.image.api.images import check_visibility_change, target
from nimbostack.image.api.views import image_view
from nimbostack.image.db.models import Image
from nimbostack.image.objects import images
from nimbostack.image.state import ImageState, state_of

MEDIA_TYPES = (
    "application/openstack-images-v2.1-json-patch",
    "application/openstack-images-v2.0-json-patch",
)
# Changing what the data is makes sense only before there is data.
_QUEUED_ONLY = ("disk_format", "container_format")
_OPS = ("add", "replace", "remove")


@dataclass
class _Draft:
    """The image's writable state while the operations apply, then written at once."""

    image: Image
    values: dict[str, Any] = field(default_factory=dict)
    properties: dict[str, str] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    tags_changed: bool = False


def _operations(raw: bytes) -> list[dict[str, Any]]:
    body = decode_json(raw)
    if not isinstance(body, list):
        raise BadRequest("A JSON-patch body must be a list of operations.")
    ops = [_normalise(op) for op in body]
    for op in ops:
        path = op.get("path")
        if not isinstance(path, str) or not path.startswith("/") or path.count("/") != 1:
            raise BadRequest(f"Invalid JSON pointer for this resource: {path!r}")
        if op["op"] != "remove" and "value" not in op:
            raise BadRequest(f"Operation {op['op']} on {path} needs a value.")
    return ops


def _normalise(op: Any) -> dict[str, Any]:
    """One operation in the draft-10 shape ``{"op": ..., "path": ...}``.

    The v2.0 media type (which Tempest and older clients send) spells an operation
    as ``{"replace": "/name", "value": ...}``; both spellings are accepted.
    """
    if isinstance(op, dict) and "op" not in op:
        names = [name for name in _OPS if name in op]
        if len(names) == 1:
            rest = {k: v for k, v in op.items() if k != names[0]}
            return {**rest, "op": names[0], "path": op[names[0]]}
    if not isinstance(op, dict) or op.get("op") not in _OPS:
        raise BadRequest(f"Invalid operation: {op!r}. Use add, replace or remove.")
    return op


def _apply(draft: _Draft, op: dict[str, Any], state: ImageState) -> None:
    name = op["path"][1:].replace("~1", "/").replace("~0", "~")
    if name == "id":
        raise Forbidden("Attribute 'id' is read-only.")
    attributes.refuse_protected_names(name)
    if name == "tags":
        if op["op"] == "remove":
            raise Forbidden("Cannot remove the 'tags' attribute; replace it with [].")
        draft.tags, draft.tags_changed = attributes.tag_list(op["value"], state.conf), True
    elif name in attributes.BASE:
        if op["op"] == "remove":
            raise Forbidden(f"Cannot remove base attribute '{name}'.")
        if name in _QUEUED_ONLY and draft.image.status != "queued":
            raise Forbidden(f"Attribute {name} can be only replaced for a queued image.")
        draft.values[name] = attributes.base_value(name, op["value"], state.conf)
    else:
        _apply_property(draft, op, name)


def _apply_property(draft: _Draft, op: dict[str, Any], name: str) -> None:
    present = name in draft.properties
    if op["op"] == "remove":
        if not present:
            raise Conflict(f"Property {name} does not exist.")
        del draft.properties[name]
        return
    if op["op"] == "replace" and not present:
        raise Conflict(f"Property {name} does not exist.")
    draft.properties[name] = attributes.property_value(name, op["value"])


async def update_image(req: ApiRequest) -> Response:
    state = state_of(req)
    ctype = req.http.headers.get("content-type", "").split(";")[0].strip()
    if ctype not in MEDIA_TYPES:
        raise UnsupportedMediaType(
            f"Content type {ctype or 'none'} is not supported; use {MEDIA_TYPES[0]}."
        )
    image = await images.load(state.db, req.context, req.param("image_id"))
    req.enforce("modify_image", target(image))
    ops = _operations(await req.body())

    def change(current: Image, tags: list[str]) -> tuple[dict[str, Any], list[str] | None]:
        # Applied to the row as it is inside the write transaction: no lost updates, and
        # the queued-only attributes are checked against the status being replaced.
        draft = _Draft(current, properties=dict(current.properties or {}), tags=tags)
        for op in ops:
            _apply(draft, op, state)
        _check_authority(req, draft)
        attributes.check_property_count(draft.properties, state.conf)
        if draft.properties != current.properties:
            draft.values["properties"] = draft.properties
        return draft.values, draft.tags if draft.tags_changed else None

    await images.modify(state.db, image.id, change)
    saved = await images.load(state.db, req.context, image.id)
    tags = await images.tags_of(state.db, [image.id])
    return json_response(image_view(saved, tags[image.id]))


def _check_authority(req: ApiRequest, draft: _Draft) -> None:
    values, image = draft.values, draft.image
    if "visibility" in values and values["visibility"] != image.visibility:
        check_visibility_change(req, values["visibility"], image.owner)
    if "owner" in values and values["owner"] != image.owner and not req.context.is_admin:
        raise Forbidden("Only an administrator may change an image's owner.")
