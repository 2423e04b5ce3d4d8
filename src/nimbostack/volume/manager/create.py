"""Building a volume the scheduler placed here: empty, or from a snapshot, a volume, a
backup or an image. The record leaves ``creating`` (or ``downloading``) for
``available`` only once its data is complete; any failure leaves it in ``error`` with a
user message saying why, and the data made so far deleted.
"""

from __future__ import annotations

import logging
import time

from nimbostack.core.context import RequestContext
from nimbostack.volume import states
from nimbostack.volume.backends.base import BackendError
from nimbostack.volume.db.models import Snapshot, Volume
from nimbostack.volume.manager import image as from_image
from nimbostack.volume.manager import restore
from nimbostack.volume.manager.host import BackendHost, snapshot_ref, volume_ref
from nimbostack.volume.messages import VolumeSpec
from nimbostack.volume.objects import keyvalues, user_messages, volumes

LOG = logging.getLogger(__name__)
BUILDING = (states.CREATING, states.DOWNLOADING)


class CreateFailed(Exception):
    """Building failed for a reason the user may read (``detail`` keys user_messages)."""

    def __init__(self, text: str, detail: str = "driver_create_failed") -> None:
        super().__init__(text)
        self.text = text
        self.detail = detail


async def create_volume(h: BackendHost, ctxt: RequestContext, spec: VolumeSpec) -> None:
    async with h.locked(spec.volume_id):
        volume = await h.volume(spec.volume_id)
        if volume is None or volume.status != states.CREATING or not h.owns(volume.host):
            LOG.info("volume %s is no longer to be built here", spec.volume_id)
            return
        try:
            location, bootable = await _build(h, ctxt, spec, volume)
        except (CreateFailed, from_image.ImageRefused) as exc:
            await _failed(h, ctxt, volume, exc.text, exc.detail)
            return
        except BackendError as exc:
            await _failed(h, ctxt, volume, str(exc), "driver_create_failed")
            return
        except Exception:
            LOG.exception("building volume %s failed", volume.id)
            await _failed(h, ctxt, volume, "Driver failed to create the volume.", "unknown")
            return
        await _finished(h, volume, location, bootable)


async def _build(
    h: BackendHost, ctxt: RequestContext, spec: VolumeSpec, volume: Volume
) -> tuple[str | None, bool]:
    """Make the volume's data; its provider_location and whether it is bootable."""
    ref = volume_ref(volume)
    if spec.source == "empty":
        return await h.backend.create(ref), False
    if spec.source == "image":
        return await from_image.create_from_image(h, ctxt, spec, volume), True
    if spec.source == "backup":
        try:
            location = await h.backend.create(ref)
            await h.set_volume(volume.id, provider_location=location)
            await restore.restore_into(h, spec.source_id or "", volume.id)
        finally:
            await restore.release_backup(h, spec.source_id or "")
        return location, False
    return await _copy(h, spec, volume)


async def _copy(h: BackendHost, spec: VolumeSpec, volume: Volume) -> tuple[str | None, bool]:
    """A volume from a snapshot or another volume of this backend."""
    ref = volume_ref(volume)
    async with h.state.db.reader() as s:
        if spec.source == "snapshot":
            snap = await s.get(Snapshot, spec.source_id)
            parent = await volumes.get_any(s, snap.volume_id) if snap else None
            if snap is None or parent is None:
                raise CreateFailed(f"Snapshot {spec.source_id} no longer exists.")
        else:
            snap = None
            parent = await volumes.get_any(s, spec.source_id or "")
            if parent is None:
                raise CreateFailed(f"Source volume {spec.source_id} no longer exists.")
        image_meta = await keyvalues.read(s, keyvalues.IMAGE_METADATA, parent.id)
    if not h.owns(parent.host):
        raise CreateFailed(f"The source lives on another backend than {h.name}.")
    if snap is not None:
        location = await h.backend.create_from_snapshot(snapshot_ref(snap, parent), ref)
    else:
        in_use = parent.attach_status != states.DETACHED
        location = await h.backend.clone(volume_ref(parent), ref, in_use=in_use)
    if image_meta:
        async with h.state.db.session() as s:
            await keyvalues.replace(s, keyvalues.IMAGE_METADATA, volume.id, image_meta)
    return location, parent.bootable


async def _finished(h: BackendHost, volume: Volume, location: str | None, bootable: bool) -> None:
    async with h.state.db.session() as s:
        done = await volumes.transition(
            s,
            volume.id,
            BUILDING,
            {
                "status": states.AVAILABLE,
                "provider_location": location,
                "bootable": bootable,
                "launched_at": time.time(),
                "service_uuid": h.service_uuid,
            },
        )
        if not done:
            # Deleted (forced) meanwhile: record where the data is so the delete finds it.
            await volumes.set_values(s, volume.id, {"provider_location": location})


async def _failed(
    h: BackendHost, ctxt: RequestContext, volume: Volume, text: str, detail: str
) -> None:
    LOG.warning("volume %s could not be created: %s", volume.id, text)
    try:
        await h.backend.delete(volume_ref(volume))
    except Exception:
        LOG.exception("cleaning up the data of failed volume %s", volume.id)
    action = (
        user_messages.COPY_IMAGE_TO_VOLUME
        if detail in ("image_unacceptable", "image_too_big")
        else user_messages.CREATE_VOLUME_FROM_BACKEND
    )
    # The message first: whoever sees the error status finds the reason.
    await h.tell_user(
        ctxt,
        project_id=volume.project_id,
        resource_type=user_messages.VOLUME,
        resource_id=volume.id,
        action=action,
        detail=detail,
        text=text,
    )
    async with h.state.db.session() as s:
        await volumes.transition(s, volume.id, BUILDING, {"status": states.ERROR})
