"""The request schema of ``POST /servers`` per microversion."""

from __future__ import annotations

from typing import Any

from nimbostack.core.api.microversion import Version
from nimbostack.core.api.schema import CONTROL_CHARS

NAME = {"type": "string", "minLength": 1, "maxLength": 255, "pattern": r"^(?!\s)[\s\S]*(?<!\s)$"}
UUID_LIKE = {"type": "string", "minLength": 1, "maxLength": 255}
METADATA = {
    "type": "object",
    "patternProperties": {
        "^[a-zA-Z0-9-_:. ]{1,255}$": {"type": "string", "maxLength": 255},
    },
    "additionalProperties": False,
}
# As in Nova: 1 to 60 characters, no "/" or ","; and printable.
TAG = {"type": "string", "minLength": 1, "maxLength": 60, "pattern": f"^[^,/{CONTROL_CHARS}]*$"}
NETWORK = {
    "type": "object",
    "properties": {
        "uuid": {"type": "string"},
        "port": {"type": ["string", "null"]},
        "fixed_ip": {"type": "string"},
        "tag": {"type": "string"},
    },
    "additionalProperties": False,
}
# Nova's bound for counts stored as SQL integers; a digit string longer than its ten
# digits cannot be within it (``server_create._count`` checks the value of the rest).
MAX_INT = 2**31 - 1
COUNT = {
    "type": ["integer", "string"],
    "pattern": "^[0-9]+$",
    "minLength": 1,
    "maxLength": len(str(MAX_INT)),
    "minimum": 1,
    "maximum": MAX_INT,
}
HOSTNAME = {"type": "string", "minLength": 1, "maxLength": 255, "pattern": r"^[a-zA-Z0-9.-]+$"}


def server_schema(version: Version) -> dict[str, Any]:
    props: dict[str, Any] = {
        "name": NAME,
        "imageRef": {"type": "string", "maxLength": 255},
        "flavorRef": {"type": ["string", "integer"], "minLength": 1},
        "adminPass": {"type": "string"},
        "metadata": METADATA,
        "networks": {"oneOf": [{"type": "array", "items": NETWORK}, {"enum": ["none", "auto"]}]},
        "OS-DCF:diskConfig": {"enum": ["AUTO", "MANUAL"]},
        "accessIPv4": {"type": "string", "format": "ipv4"},
        "accessIPv6": {"type": "string", "format": "ipv6"},
        "key_name": {"type": "string", "minLength": 1, "maxLength": 255},
        "user_data": {"type": "string", "maxLength": 65535},
        "availability_zone": {"type": "string", "minLength": 1, "maxLength": 255},
        "config_drive": {"type": ["boolean", "string"]},
        "min_count": COUNT,
        "max_count": COUNT,
        "return_reservation_id": {"type": ["boolean", "string"]},
        "security_groups": {"type": "array", "items": {"type": "object"}},
        "block_device_mapping": {"type": "array"},
        "block_device_mapping_v2": {"type": "array"},
    }
    if not version.matches("2.57"):
        props["personality"] = {"type": "array"}
    if version.matches("2.19"):
        props["description"] = {"type": ["string", "null"], "maxLength": 255}
    if version.matches("2.52"):
        props["tags"] = {"type": "array", "items": TAG, "maxItems": 50}
    if version.matches("2.63"):
        props["trusted_image_certificates"] = {"type": ["array", "null"], "maxItems": 50}
    if version.matches("2.74"):
        props["host"] = {"type": "string", "minLength": 1, "maxLength": 255}
        props["hypervisor_hostname"] = {"type": "string", "minLength": 1, "maxLength": 255}
    if version.matches("2.90"):
        props["hostname"] = HOSTNAME
    required = ["name", "flavorRef"]
    if version.matches("2.37"):
        required.append("networks")
    return {
        "type": "object",
        "properties": {
            "server": {
                "type": "object",
                "properties": props,
                "required": required,
                "additionalProperties": False,
            },
            "os:scheduler_hints": {"type": "object"},
            "OS-SCH-HNT:scheduler_hints": {"type": "object"},
        },
        "required": ["server"],
        "additionalProperties": False,
    }
