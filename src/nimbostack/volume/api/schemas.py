"""JSON schemas of request bodies (Cinder's parameter types), shared by the handlers."""

from __future__ import annotations

from typing import Any

from nimbostack.core.api.request import ApiRequest
from nimbostack.core.api.schema import MAX_INT
from nimbostack.volume.api import microversions as mv
from nimbostack.volume.api.scope import at_least

NAME: dict[str, Any] = {"type": ["string", "null"], "maxLength": 255}
DESCRIPTION: dict[str, Any] = {"type": ["string", "null"], "maxLength": 255}
UUID: dict[str, Any] = {"type": "string", "format": "uuid"}
OPTIONAL_UUID: dict[str, Any] = {"type": ["string", "null"], "format": "uuid"}
BOOLEAN: dict[str, Any] = {
    "type": ["boolean", "string"],
    "enum": [
        True,
        "True",
        "TRUE",
        "true",
        "1",
        "ON",
        "On",
        "on",
        "YES",
        "Yes",
        "yes",
        "y",
        "t",
        False,
        "False",
        "FALSE",
        "false",
        "0",
        "OFF",
        "Off",
        "off",
        "NO",
        "No",
        "no",
        "n",
        "f",
    ],
}
SIZE: dict[str, Any] = {
    "type": ["integer", "string"],
    "pattern": "^[0-9]+$",
    "minimum": 1,
    "maximum": MAX_INT,
}
KEY_VALUES: dict[str, Any] = {
    "type": "object",
    "patternProperties": {"^[a-zA-Z0-9-_:. /]{1,255}$": {"type": "string", "maxLength": 255}},
    "additionalProperties": False,
}
IMAGE_KEY_VALUES: dict[str, Any] = {
    "type": "object",
    "patternProperties": {"^[a-zA-Z0-9-_:. /]{1,255}$": {"type": "string", "maxLength": 65535}},
    "additionalProperties": False,
}


def obj(
    properties: dict[str, Any], required: list[str] | None = None, *, extra: bool = False
) -> dict[str, Any]:
    """An object schema with these properties."""
    schema: dict[str, Any] = {
        "type": "object",
        "properties": properties,
        "additionalProperties": extra,
    }
    if required:
        schema["required"] = required
    return schema


def wrapped(key: str, inner: dict[str, Any]) -> dict[str, Any]:
    """``{key: inner}``, nothing else."""
    return obj({key: inner}, [key])


def volume_create_schema(req: ApiRequest) -> dict[str, Any]:
    props: dict[str, Any] = {
        "name": NAME,
        "description": DESCRIPTION,
        "display_name": NAME,
        "display_description": DESCRIPTION,
        "volume_type": {"type": ["string", "null"], "maxLength": 255},
        "metadata": {**KEY_VALUES, "type": ["object", "null"]},
        "snapshot_id": OPTIONAL_UUID,
        "source_volid": OPTIONAL_UUID,
        "consistencygroup_id": OPTIONAL_UUID,
        "size": {**SIZE, "type": ["integer", "string", "null"]},
        "availability_zone": {"type": ["string", "null"], "minLength": 1, "maxLength": 255},
        "multiattach": BOOLEAN,
        "image_id": {"type": ["string", "null"], "maxLength": 255},
        "imageRef": {"type": ["string", "null"], "maxLength": 255},
    }
    if at_least(req, mv.GROUP_VOLUME):
        props["group_id"] = {"type": ["string", "null"], "maxLength": 255}
    if at_least(req, mv.VOLUME_CREATE_FROM_BACKUP):
        props["backup_id"] = OPTIONAL_UUID
    volume = obj(props, extra=not at_least(req, "3.53"))
    return obj(
        {"volume": volume, "OS-SCH-HNT:scheduler_hints": {"type": ["object", "null"]}},
        ["volume"],
    )


def volume_update_schema(req: ApiRequest) -> dict[str, Any]:
    volume = obj(
        {
            "name": NAME,
            "description": DESCRIPTION,
            "display_name": NAME,
            "display_description": DESCRIPTION,
            "metadata": KEY_VALUES,
        }
    )
    if at_least(req, "3.53"):
        volume["anyOf"] = [
            {"required": [k]}
            for k in ("name", "description", "display_name", "display_description", "metadata")
        ]
    return wrapped("volume", volume)


METADATA_BODY = wrapped("metadata", KEY_VALUES)
META_BODY = obj({"meta": {**KEY_VALUES, "minProperties": 1, "maxProperties": 1}}, ["meta"])
