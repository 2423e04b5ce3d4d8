"""``os-volume_attachments`` bodies per microversion, and the attachment's view."""

from __future__ import annotations

from typing import Any

from nimbostack.compute.db.models import BlockDeviceMapping
from nimbostack.core.api.microversion import Version

# Nova's device path pattern: /dev/vdb, /dev/xvdc, /dev/sda1 ...
DEVICE = {
    "type": ["string", "null"],
    "pattern": "(^/dev/x{0,1}[a-z]{0,1}d{0,1})([a-z]+)[0-9]*$",
    "maxLength": 255,
}
TAG = {"type": "string", "minLength": 1, "maxLength": 60, "pattern": "^[^,/]*$"}
VOLUME_ID = {"type": "string", "format": "uuid"}


def attach_schema(version: Version) -> dict[str, Any]:
    properties: dict[str, Any] = {"volumeId": VOLUME_ID, "device": DEVICE}
    if version.matches("2.49"):
        properties["tag"] = TAG
    if version.matches("2.79"):
        properties["delete_on_termination"] = {"type": "boolean"}
    return _wrapped(properties)


def update_schema(version: Version) -> dict[str, Any]:
    properties: dict[str, Any] = {"volumeId": VOLUME_ID}
    if version.matches("2.85"):
        properties.update(
            {
                "id": VOLUME_ID,
                "serverId": {"type": "string", "format": "uuid"},
                "device": DEVICE,
                "tag": TAG,
                "delete_on_termination": {"type": "boolean"},
            }
        )
    return _wrapped(properties)


def _wrapped(properties: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {
            "volumeAttachment": {
                "type": "object",
                "properties": properties,
                "required": ["volumeId"],
                "additionalProperties": False,
            }
        },
        "required": ["volumeAttachment"],
        "additionalProperties": False,
    }


def view(bdm: BlockDeviceMapping, version: Version) -> dict[str, Any]:
    shown: dict[str, Any] = {
        "device": bdm.device_name,
        "serverId": bdm.instance_uuid,
        "volumeId": bdm.volume_id,
    }
    if not version.matches("2.89"):
        shown["id"] = bdm.volume_id
    if version.matches("2.70"):
        shown["tag"] = bdm.tag
    if version.matches("2.79"):
        shown["delete_on_termination"] = bool(bdm.delete_on_termination)
    if version.matches("2.89"):
        shown["attachment_id"] = bdm.attachment_id
        shown["bdm_uuid"] = bdm.uuid
    return shown
