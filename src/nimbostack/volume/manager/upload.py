"""Uploading a volume to the image service (``os-volume_upload_image``).

The API created the image record with the caller's token and moved the volume to
``uploading``; here the data is converted to the disk format asked for and uploaded
with the same token. Either way the volume returns to its previous status; a failed
upload deletes the half-made image and leaves a user message.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid

from nimbostack.core.context import RequestContext
from nimbostack.volume import states
from nimbostack.volume.manager.host import BackendHost, volume_ref
from nimbostack.volume.messages import UploadToImage
from nimbostack.volume.objects import user_messages, volumes

LOG = logging.getLogger(__name__)


async def upload_to_image(h: BackendHost, ctxt: RequestContext, msg: UploadToImage) -> None:
    volume = await h.volume(msg.volume_id)
    if volume is None or volume.status != states.UPLOADING:
        return
    workdir = h.workdir
    path = workdir / f"upload-{msg.image_id}.{uuid.uuid4().hex[:8]}"
    client = await h.state.user_images(ctxt)
    ok = True
    try:
        await h.backend.export_image(volume_ref(volume), path, msg.disk_format)
        await client.upload(msg.image_id, path)
    except Exception as exc:
        ok = False
        LOG.warning("uploading volume %s to image %s failed: %s", volume.id, msg.image_id, exc)
        with contextlib.suppress(Exception):
            await client.delete(msg.image_id)
    finally:
        await asyncio.to_thread(path.unlink, True)
    if not ok:
        await h.tell_user(
            ctxt,
            project_id=volume.project_id,
            resource_type=user_messages.VOLUME,
            resource_id=volume.id,
            action=user_messages.COPY_VOLUME_TO_IMAGE,
            detail="upload_failed",
            text="Failed to upload volume to image at backend.",
        )
    async with h.state.db.session() as s:
        await volumes.transition(
            s,
            volume.id,
            [states.UPLOADING],
            {"status": volume.previous_status or states.AVAILABLE, "previous_status": None},
        )
