"""Backups (``createBackup``) with rotation, and ``restore`` of a soft-deleted server.

A backup is a snapshot image marked ``image_type=backup`` with its ``backup_type``.
Rotation keeps the newest ``rotation`` backups of that type (the new one included)
and deletes the rest; it runs when the backup is queued, in the caller's name.
"""

from __future__ import annotations

import contextlib
from typing import Any

import httpx
from starlette.responses import Response

from nimbostack.compute import states as st
from nimbostack.compute.api import action_guard, boot_volumes, snapshots
from nimbostack.compute.api.action_guard import Transition
from nimbostack.compute.api.deps import ApiState, state_of, user_images
from nimbostack.compute.api.server_actions_image import SNAPSHOT
from nimbostack.compute.api.server_lookup import viewer
from nimbostack.compute.db.models import Instance
from nimbostack.compute.messages import SnapshotInstance
from nimbostack.core.api.microversion import Version
from nimbostack.core.api.request import ApiRequest
from nimbostack.core.api.responses import empty, json_response
from nimbostack.core.errors import ServiceUnavailable

# The agent's snapshot workflow takes it from here, so it starts in the snapshot task state.
BACKUP = Transition("createBackup", SNAPSHOT.vm_states, task_state=st.IMAGE_SNAPSHOT_PENDING)
# We never soft-delete (no reclaim interval), so restore always meets the wrong state.
RESTORE = Transition("restore", (st.SOFT_DELETED,), task_state=st.RESTORING)


async def _backups(req: ApiRequest, state: ApiState, instance: Instance, kind: str) -> list[str]:
    """Ids of the server's backups of ``kind``, newest first."""
    params = {
        "instance_uuid": instance.uuid,
        "image_type": "backup",
        "backup_type": kind,
        "sort_key": "created_at",
        "sort_dir": "desc",
    }
    try:
        async with user_images(req, state) as images:
            resp = await images.client.get(
                f"{images.base}/v2/images", params=params, headers=images.headers
            )
            resp.raise_for_status()
    except httpx.HTTPError as exc:
        raise ServiceUnavailable(f"The image service could not list backups: {exc}") from None
    return [str(image["id"]) for image in resp.json()["images"]]


async def _rotate(
    req: ApiRequest, state: ApiState, instance: Instance, kind: str, keep: int
) -> None:
    for image_id in (await _backups(req, state, instance, kind))[keep:]:
        with contextlib.suppress(httpx.HTTPError):
            async with user_images(req, state) as images:
                await images.delete(image_id)


async def create_backup(req: ApiRequest, instance: Instance, body: Any) -> Response:
    state = state_of(req)
    action_guard.check(req, instance, BACKUP)
    boot_volumes.refuse_volume_backed(instance, "createBackup")
    rotation = int(body["rotation"])
    if rotation == 0:  # keep none: only the old backups go
        await _rotate(req, state, instance, body["backup_type"], 0)
        return empty(202)
    metadata = {**(body.get("metadata") or {}), "backup_type": body["backup_type"]}
    image_id = await snapshots.queue_image(
        req, state, instance, body["name"], metadata, image_type="backup"
    )
    try:
        await action_guard.begin(req, state, instance, BACKUP)
    except Exception:
        await snapshots.discard_image(req, state, image_id)
        raise
    await _rotate(req, state, instance, body["backup_type"], rotation)
    msg = SnapshotInstance(instance.uuid, image_id, req.context.request_id)
    await state.rpc.cast_agent(req.context, instance.host or "", msg)
    if (req.version or Version(2, 1)).matches("2.45"):
        return json_response({"image_id": image_id}, 202)
    location = viewer(req).links("images", image_id)[0]["href"]
    return empty(202, {"Location": location})


async def restore(req: ApiRequest, instance: Instance, body: Any) -> Response:
    await action_guard.begin(req, state_of(req), instance, RESTORE)
    return empty(202)


ACTIONS: dict[str, Any] = {"createBackup": create_backup, "restore": restore}
