"""What a volume shows of the image it was made from (``volume_image_metadata``)."""

from __future__ import annotations

from typing import Any

# Image record fields kept as volume_image_metadata (besides its custom properties).
CORE = ("checksum", "container_format", "disk_format", "min_disk", "min_ram", "size")
NOT_KEPT = {
    "id",
    "name",
    "status",
    "visibility",
    "owner",
    "protected",
    "os_hidden",
    "tags",
    "file",
    "schema",
    "self",
    "locations",
    "direct_url",
    "created_at",
    "updated_at",
    "virtual_size",
    "os_hash_algo",
    "os_hash_value",
    "stores",
    "member_status",
}


def image_metadata(record: dict[str, Any]) -> dict[str, str]:
    """What a volume made from ``record`` shows as ``volume_image_metadata``."""
    found = {"image_id": str(record["id"]), "image_name": str(record.get("name") or "")}
    for key in CORE:
        if record.get(key) is not None:
            found[key] = str(record[key])
    for key, value in record.items():
        if key not in NOT_KEPT and key not in found and value is not None:
            found[key] = value if isinstance(value, str) else str(value)
    return found
