"""Queued images for snapshots and shelving, created in the image service as the caller."""

from __future__ import annotations

import contextlib
import logging
from typing import Any

import httpx

from nimbostack.compute.api.deps import ApiState, user_images
from nimbostack.compute.db.models import Instance
from nimbostack.core.api.request import ApiRequest
from nimbostack.core.errors import ApiError, Forbidden, ServiceUnavailable

LOG = logging.getLogger(__name__)
_RESERVED = {"id", "name", "visibility", "status", "owner", "protected", "tags"}


async def queue_image(
    req: ApiRequest,
    state: ApiState,
    instance: Instance,
    name: str,
    metadata: dict[str, Any],
    *,
    shelve: bool = False,
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
        "image_type": "snapshot",
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
            created = await images.create(**fields)
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
