"""The JSON shapes of images and members, as Glance v2 returns them."""

from __future__ import annotations

from typing import Any

from nimbostack.core.timeutil import iso
from nimbostack.image.db.models import Image, ImageMember


def image_view(image: Image, tags: list[str]) -> dict[str, Any]:
    body: dict[str, Any] = dict(image.properties or {})
    body.update(
        id=image.id,
        name=image.name,
        status=image.status,
        visibility=image.visibility,
        protected=image.protected,
        os_hidden=image.os_hidden,
        checksum=image.checksum,
        os_hash_algo=image.os_hash_algo,
        os_hash_value=image.os_hash_value,
        owner=image.owner,
        size=image.size,
        virtual_size=image.virtual_size,
        min_ram=image.min_ram,
        min_disk=image.min_disk,
        disk_format=image.disk_format,
        container_format=image.container_format,
        created_at=iso(image.created_at),
        updated_at=iso(image.updated_at),
        tags=tags,
        self=f"/v2/images/{image.id}",
        file=f"/v2/images/{image.id}/file",
        schema="/v2/schemas/image",
    )
    if image.location:
        body["stores"] = "file"
    return body


def member_view(member: ImageMember) -> dict[str, Any]:
    return {
        "image_id": member.image_id,
        "member_id": member.member_id,
        "status": member.status,
        "created_at": iso(member.created_at),
        "updated_at": iso(member.updated_at),
        "schema": "/v2/schemas/member",
    }
