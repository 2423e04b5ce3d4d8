"""The /v2/schemas/metadefs/* documents: JSON-schemas of each metadef resource."""

from __future__ import annotations

import copy
from typing import Any

from starlette.responses import Response

from nimbostack.core.api.request import ApiRequest
from nimbostack.core.api.responses import json_response
from nimbostack.core.errors import NotFound
from nimbostack.image.api.metadefs import bodies

_STAMPS = {
    "created_at": {"type": "string", "readOnly": True, "format": "date-time"},
    "updated_at": {"type": "string", "readOnly": True, "format": "date-time"},
}


def _document(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    doc = copy.deepcopy(schema)
    doc.pop("type", None)
    doc["name"] = name
    doc["properties"] = {**doc.get("properties", {}), **_STAMPS}
    for key in ("schema", "self"):
        if key in doc["properties"]:
            doc["properties"][key] = {"type": "string", "readOnly": True}
    return doc


def _collection(name: str, item: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": name,
        "properties": {
            name: {"type": "array", "items": item},
            "first": {"type": "string"},
            "next": {"type": "string"},
            "schema": {"type": "string"},
        },
        "links": [
            {"rel": "first", "href": "{first}"},
            {"rel": "next", "href": "{next}"},
            {"rel": "describedby", "href": "{schema}"},
        ],
    }


def _documents() -> dict[str, dict[str, Any]]:
    namespace = _document("namespace", bodies.NAMESPACE)
    association = _document("resource_type_association", bodies.ASSOCIATION)
    obj = _document("object", bodies.OBJECT)
    prop = _document("property", bodies.PROPERTY)
    tag = _document("tag", bodies.TAG)
    return {
        "namespace": namespace,
        "namespaces": _collection("namespaces", namespace),
        "resource_type": association,
        "resource_types": _collection("resource_type_associations", association),
        "object": obj,
        "objects": _collection("objects", obj),
        "property": prop,
        "properties": _collection("properties", prop),
        "tag": tag,
        "tags": _collection("tags", tag),
    }


DOCUMENTS = _documents()


async def show_metadef_schema(req: ApiRequest) -> Response:
    name = req.param("name")
    if name not in DOCUMENTS:
        raise NotFound(f"No metadefs schema named {name}.")
    return json_response(DOCUMENTS[name])
