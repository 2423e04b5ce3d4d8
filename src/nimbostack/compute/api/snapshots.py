"""Queued images for snapshots and shelving, created in the image service as the caller."""

from __future__ import annotations

import contextlib
import logging
from typing import Any

import httpx

from nimbostack.clients.image import ImageClient
from nimbostack.compute.api.deps import ApiState, user_images
from nimbostack.compute.db.models import Instance
from nimbostack.core.api.request import ApiRequest
from nimbostack.core.errors import ApiError, Forbidden, ServiceUnavailable

LOG = logging.getLogger(__name__)
_RESERVED = {"id", "name", "visibility", "status", "owner", "protected", "tags"}
# What a snapshot keeps of the image its server booted from, so that it boots the same
# way: a disk made for direct kernel boot is useless without its kernel and ramdisk.
_INHERITED = {"kernel_id", "ramdisk_id", "os_command_line", "os_distro", "os_version",
              "os_type", "architecture", "hypervisor_type"}  # fmt: skip


async def _inherited(images: ImageClient, base: str) -> dict[str, Any]:
    """The boot properties of the base image (none if it is gone or not visible)."""
    if not base:
        return {}
    resp = await images.client.get(f"{images.base}/v2/images/{base}", headers=images.headers)
    if resp.status_code != 200:
        return {}
    record: dict[str, Any] = resp.json()
    return {k: v for k, v in record.items() if k in _INHERITED or k.startswith("hw_")}


async def queue_image(
    req: ApiRequest,
    state: ApiState,
    instance: Instance,
    name: str,
    metadata: dict[str, Any],
    *,
    shelve: bool = False,
    image_type: str = "snapshot",
) -> str:
    """A queued private image that the agent will upload the root disk into.

    The formats are left out: the agent sets them from what its driver produced.
    """
    base = instance.image_ref or ""
    props = {k: str(v) for k, v in metadata.items() if k not in _RESERVED}
    fields: dict[str, Any] = {
        **props,
        "name": name,
        "visibility": "private",
        "instance_uuid": instance.uuid,
        "image_type": image_type,
        "user_id": instance.user_id,
        "owner_project_name": req.context.project_name or "",
    }
    if base:
        fields["base_image_ref"] = base
    if shelve:
        fields["image_type"] = "snapshot"
        fields["shelved_instance"] = instance.uuid
    async with user_images(req, state) as images:
        try:
            created = await images.create(**{**await _inherited(images, base), **fields})
        except httpx.HTTPStatusError as exc:
            code = exc.response.status_code
            if code in (403, 413):
                raise Forbidden(f"The image service refused the snapshot: {code}") from None
            raise ServiceUnavailable(f"The image service answered {code}") from None
        except httpx.HTTPError as exc:
            raise ServiceUnavailable(f"The image service is not reachable: {exc}") from None
    return str(created["id"])


async def discard_image(req: ApiRequest, state: ApiState, image_id: str) -> None:
    """Best effort: the action did not start, so its queued image is not wanted."""
    with contextlib.suppress(httpx.HTTPError, ApiError):
        async with user_images(req, state) as images:
            await images.delete(image_id)
