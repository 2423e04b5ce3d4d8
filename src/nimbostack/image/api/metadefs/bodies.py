"""JSON-schemas of metadef request bodies (what a client may send, checked before use)."""

from __future__ import annotations

from typing import Any

from nimbostack.image.api.metadefs.common import NAME

_TYPES = ["array", "boolean", "integer", "number", "object", "string", None]
_STRING_LIST = {"type": "array", "items": {"type": "string"}}
_READ_ONLY: dict[str, Any] = {"created_at": {}, "updated_at": {}, "schema": {}, "self": {}}

# One property definition, less its name (which is the key or the URL).
PROPERTY_FIELDS: dict[str, Any] = {
    "title": {"type": "string", "maxLength": 255},
    "description": {"type": "string"},
    "type": {"enum": _TYPES},
    "default": {},
    "enum": {"type": "array"},
    "operators": _STRING_LIST,
    "readonly": {"type": "boolean"},
    "minimum": {"type": "number"},
    "maximum": {"type": "number"},
    "minLength": {"type": "integer", "minimum": 0},
    "maxLength": {"type": "integer", "minimum": 0},
    "pattern": {"type": "string"},
    "items": {"type": "object"},
    "uniqueItems": {"type": "boolean"},
    "minItems": {"type": "integer", "minimum": 0},
    "maxItems": {"type": "integer", "minimum": 0},
    "additionalItems": {"type": "boolean"},
}
PROPERTY_BODY: dict[str, Any] = {
    "type": "object",
    "required": ["title", "type"],
    "properties": PROPERTY_FIELDS,
    "additionalProperties": False,
}
PROPERTY: dict[str, Any] = {
    "type": "object",
    "required": ["name", "title", "type"],
    "properties": {"name": NAME, **PROPERTY_FIELDS, **_READ_ONLY},
    "additionalProperties": False,
}
PROPERTY_MAP: dict[str, Any] = {
    "type": "object",
    "propertyNames": {"maxLength": 255, "minLength": 1},
    "additionalProperties": PROPERTY_BODY,
}
OBJECT: dict[str, Any] = {
    "type": "object",
    "required": ["name"],
    "properties": {
        "name": NAME,
        "description": {"type": "string"},
        "required": _STRING_LIST,
        "properties": PROPERTY_MAP,
        **_READ_ONLY,
    },
    "additionalProperties": False,
}
TAG: dict[str, Any] = {
    "type": "object",
    "required": ["name"],
    "properties": {"name": NAME, **_READ_ONLY},
    "additionalProperties": False,
}
TAGS: dict[str, Any] = {
    "type": "object",
    "required": ["tags"],
    "properties": {"tags": {"type": "array", "items": TAG}},
}
ASSOCIATION: dict[str, Any] = {
    "type": "object",
    "required": ["name"],
    "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 80},
        "prefix": {"type": "string", "maxLength": 80},
        "properties_target": {"type": "string", "maxLength": 80},
        **_READ_ONLY,
    },
    "additionalProperties": False,
}
NAMESPACE: dict[str, Any] = {
    "type": "object",
    "required": ["namespace"],
    "properties": {
        "namespace": {"type": "string", "minLength": 1, "maxLength": 80, "pattern": "^[^/]+$"},
        "display_name": {"type": "string", "maxLength": 80},
        "description": {"type": "string", "maxLength": 500},
        "visibility": {"enum": ["public", "private"]},
        "protected": {"type": "boolean"},
        "owner": {"type": "string", "maxLength": 64},
        "resource_type_associations": {"type": "array", "items": ASSOCIATION},
        "properties": PROPERTY_MAP,
        "objects": {"type": "array", "items": OBJECT},
        "tags": {"type": "array", "items": TAG},
        **_READ_ONLY,
    },
    "additionalProperties": False,
}


def object_body(body: dict[str, Any]) -> dict[str, Any]:
    """What is stored of an object definition (everything but its name and stamps)."""
    return {k: body[k] for k in ("description", "required", "properties") if k in body}


def property_body(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k in PROPERTY_FIELDS}
