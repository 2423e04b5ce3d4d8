"""The /v2/schemas documents: JSON Schemas of images and members, which clients read."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from nimbostack.core.api.request import ApiRequest
from nimbostack.core.api.responses import json_response
from nimbostack.image.state import state_of

_STATUSES = [
    "queued", "saving", "active", "killed", "deleted", "uploading", "importing",
    "pending_delete", "deactivated",
]  # fmt: skip
_READ_ONLY = {"readOnly": True}


def _nullable_string(description: str, max_length: int = 255) -> dict[str, Any]:
    return {"type": ["null", "string"], "maxLength": max_length, "description": description}


def image_schema(disk_formats: list[str], container_formats: list[str]) -> dict[str, Any]:
    props: dict[str, Any] = {
        "id": {"type": "string", "pattern": "^([0-9a-fA-F]){8}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}"
               "-([0-9a-fA-F]){4}-([0-9a-fA-F]){12}$", "description": "Image identifier"},
        "name": _nullable_string("Descriptive name for the image"),
        "status": {"type": "string", "enum": _STATUSES, **_READ_ONLY,
                   "description": "Status of the image"},
        "visibility": {"type": "string", "enum": ["community", "public", "private", "shared"],
                       "description": "Scope of image accessibility"},
        "protected": {"type": "boolean", "description": "If true, image will not be deletable."},
        "os_hidden": {"type": "boolean", "description": "If true, image won't be listed."},
        "checksum": {**_nullable_string("md5 hash of image contents.", 32), **_READ_ONLY},
        "os_hash_algo": {**_nullable_string("Algorithm of os_hash_value", 64), **_READ_ONLY},
        "os_hash_value": {**_nullable_string("Secure hash of image data", 128), **_READ_ONLY},
        "owner": _nullable_string("Owner of the image"),
        "size": {"type": ["null", "integer"], **_READ_ONLY, "description": "Size in bytes"},
        "virtual_size": {"type": ["null", "integer"], **_READ_ONLY,
                         "description": "Virtual size of image in bytes"},
        "container_format": {"type": ["null", "string"], "enum": [None, *container_formats],
                             "description": "Format of the container"},
        "disk_format": {"type": ["null", "string"], "enum": [None, *disk_formats],
                        "description": "Format of the disk"},
        "created_at": {"type": "string", **_READ_ONLY, "description": "Creation time"},
        "updated_at": {"type": "string", **_READ_ONLY, "description": "Last update time"},
        "tags": {"type": "array", "items": {"type": "string", "maxLength": 255},
                 "description": "List of strings related to the image"},
        "direct_url": {"type": "string", **_READ_ONLY, "description": "URL to access the data"},
        "min_ram": {"type": "integer", "description": "Amount of ram (in MB) required to boot"},
        "min_disk": {"type": "integer", "description": "Amount of disk space (in GB) required"},
        "self": {"type": "string", **_READ_ONLY, "description": "An image self url"},
        "file": {"type": "string", **_READ_ONLY, "description": "An image file url"},
        "stores": {"type": "string", **_READ_ONLY, "description": "Stores holding the data"},
        "schema": {"type": "string", **_READ_ONLY, "description": "An image schema url"},
        "locations": {"type": "array", "items": {"type": "object"}, **_READ_ONLY,
                      "description": "A set of URLs to access the image file kept in store"},
    }  # fmt: skip
    return {
        "name": "image",
        "properties": props,
        "additionalProperties": {"type": "string"},
        "links": [
            {"rel": "self", "href": "{self}"},
            {"rel": "enclosure", "href": "{file}"},
            {"rel": "describedby", "href": "{schema}"},
        ],
    }


def member_schema() -> dict[str, Any]:
    return {
        "name": "member",
        "properties": {
            "created_at": {"type": "string", "description": "When the member was created"},
            "image_id": {"type": "string", "description": "An identifier for the image"},
            "member_id": {"type": "string", "description": "An identifier for the image member"},
            "schema": {"type": "string", **_READ_ONLY},
            "status": {"type": "string", "enum": ["pending", "accepted", "rejected"],
                       "description": "The status of this image member"},
            "updated_at": {"type": "string", "description": "Date and time of last modification"},
        },
    }  # fmt: skip


def _collection(name: str, item: dict[str, Any], links: list[dict[str, str]]) -> dict[str, Any]:
    return {
        "name": name,
        "properties": {
            name: {"type": "array", "items": item},
            "schema": {"type": "string"},
            "first": {"type": "string"},
            "next": {"type": "string"},
        },
        "links": links,
    }


def _image_schema_of(req: ApiRequest) -> dict[str, Any]:
    conf = state_of(req).conf
    return image_schema(list(conf.disk_formats), list(conf.container_formats))


async def show_image_schema(req: ApiRequest) -> Response:
    return json_response(_image_schema_of(req))


async def show_images_schema(req: ApiRequest) -> Response:
    links = [
        {"rel": "first", "href": "{first}"},
        {"rel": "next", "href": "{next}"},
        {"rel": "describedby", "href": "{schema}"},
    ]
    return json_response(_collection("images", _image_schema_of(req), links))


async def show_member_schema(req: ApiRequest) -> Response:
    return json_response(member_schema())


async def show_members_schema(req: ApiRequest) -> Response:
    links = [{"rel": "describedby", "href": "{schema}"}]
    return json_response(_collection("members", member_schema(), links))
