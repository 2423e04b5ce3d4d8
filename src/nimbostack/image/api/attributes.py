"""Which image attributes a client may set, and the checks each value must pass.

Shared by create (POST) and update (PATCH) so both refuse the same things with the
same words: read-only and reserved attributes are a 403, bad values a 400.
"""

from __future__ import annotations

import uuid
from typing import Any

from nimbostack.core.api.params import shown
from nimbostack.core.api.schema import MAX_INT, has_control_chars
from nimbostack.core.config import Section
from nimbostack.core.errors import BadRequest, Forbidden, RequestEntityTooLarge

READONLY = frozenset(
    {
        "status", "checksum", "os_hash_algo", "os_hash_value", "size", "virtual_size",
        "created_at", "updated_at", "file", "self", "schema", "direct_url", "locations",
        "stores",
    }
)  # fmt: skip
RESERVED = frozenset({"location", "deleted", "deleted_at"})
BASE = frozenset(
    {
        "id", "name", "visibility", "protected", "os_hidden", "disk_format",
        "container_format", "min_ram", "min_disk", "owner", "tags",
    }
)  # fmt: skip
VISIBILITIES = ("public", "private", "shared", "community")
MAX_LEN = 255


def refuse_protected_names(name: str) -> None:
    """403 for attributes nobody may write."""
    if name in READONLY:
        raise Forbidden(f"Attribute '{name}' is read-only.")
    if name in RESERVED or name.startswith("os_glance"):
        raise Forbidden(f"Attribute '{name}' is reserved.")


def _string(name: str, value: Any, nullable: bool = True) -> str | None:
    if value is None and nullable:
        return None
    if not isinstance(value, str):
        raise BadRequest(f"Invalid value for '{name}': {value!r} is not a string.")
    if len(value) > MAX_LEN:
        raise BadRequest(f"Invalid value for '{name}': longer than {MAX_LEN} characters.")
    return value


def _boolean(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise BadRequest(f"Invalid value for '{name}': {value!r} is not a boolean.")
    return value


def _count(name: str, value: Any) -> int:
    # The columns are 32-bit, as in Glance.
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_INT:
        raise BadRequest(
            f"Invalid value for '{name}': {value!r} is not an integer from 0 to {MAX_INT}."
        )
    return value


def _choice(name: str, value: Any, allowed: list[str] | tuple[str, ...]) -> str | None:
    if value is None and name != "visibility":
        return None
    if value not in allowed:
        raise BadRequest(
            f"Invalid value for '{name}': {value!r} is not one of {', '.join(allowed)}."
        )
    return str(value)


def tag_list(value: Any, conf: Section) -> list[str]:
    if not isinstance(value, list):
        raise BadRequest("Invalid value for 'tags': a list of strings is required.")
    tags: list[str] = []
    for tag in value:
        checked = _string("tags", tag, nullable=False)
        if checked is not None and has_control_chars(checked):
            raise BadRequest(f"Invalid value for 'tags': {shown(checked)} has control characters.")
        if checked is not None and checked not in tags:
            tags.append(checked)
    if len(tags) > int(conf.image_tag_quota):
        raise RequestEntityTooLarge(
            f"Maximum number of tags exceeded: {len(tags)} > {conf.image_tag_quota}."
        )
    return tags


def base_value(name: str, value: Any, conf: Section) -> Any:
    """Check and return the value of a base attribute (not ``tags``)."""
    if name == "id":
        try:
            return str(uuid.UUID(str(value)))
        except ValueError:
            raise BadRequest(f"Invalid value for 'id': {value!r} is not a UUID.") from None
    if name in ("name", "owner"):
        return _string(name, value)
    if name in ("protected", "os_hidden"):
        return _boolean(name, value)
    if name in ("min_ram", "min_disk"):
        return _count(name, value)
    if name == "visibility":
        return _choice(name, value, VISIBILITIES)
    if name == "disk_format":
        return _choice(name, value, list(conf.disk_formats))
    if name == "container_format":
        return _choice(name, value, list(conf.container_formats))
    raise BadRequest(f"Unknown attribute '{name}'.")


def property_value(name: str, value: Any) -> str:
    """Custom properties are strings with a name of at most 255 characters."""
    if not name or len(name) > MAX_LEN:
        raise BadRequest(f"Invalid property name {name[:MAX_LEN]!r}.")
    if not isinstance(value, str):
        raise BadRequest(f"Invalid value for property '{name}': {value!r} is not a string.")
    if len(value) > 65535:
        raise BadRequest(f"Invalid value for property '{name}': too long.")
    return value


def check_property_count(properties: dict[str, str], conf: Section) -> None:
    if len(properties) > int(conf.image_property_quota):
        raise RequestEntityTooLarge(
            f"Maximum number of properties exceeded: {len(properties)} > "
            f"{conf.image_property_quota}."
        )
