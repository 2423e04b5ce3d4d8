"""Growing a volume to the size its record holds in ``pending_size``.

Detached, the backend grows the data and the volume is done. Attached, compute is told
with a ``volume-extended`` event (tag: the volume id) so it resizes the guest's disk;
when only the host using the data can grow it (a qcow2 file held by QEMU) the volume
stays ``extending`` until compute answers with os-extend_volume_completion. A failure
puts the volume back as it was (status and size), with a user message.
"""

from __future__ import annotations

import logging

from nimbostack.core.context import RequestContext
from nimbostack.volume import states
from nimbostack.volume.backends.base import ExtendOutcome
from nimbostack.volume.db.models import Volume
from nimbostack.volume.manager.host import BackendHost, volume_ref
from nimbostack.volume.objects import attachments, user_messages, volumes

LOG = logging.getLogger(__name__)


async def extend_volume(h: BackendHost, ctxt: RequestContext, volume_id: str) -> None:
    async with h.locked(volume_id):
        volume = await h.volume(volume_id)
        if volume is None or volume.status != states.EXTENDING or not volume.pending_size:
            return
        attached = volume.previous_status == states.IN_USE
        try:
            outcome = await h.backend.extend(
                volume_ref(volume), volume.pending_size, attached=attached
            )
        except Exception as exc:
            LOG.exception("extending volume %s failed", volume_id)
            await _roll_back(h, ctxt, volume, "driver_extend_failed", f"{exc}")
            return
        if outcome is ExtendOutcome.DONE:
            await _commit(h, volume)
            if attached:
                await notify_compute(h, ctxt, volume)
            return
        if not await notify_compute(h, ctxt, volume):
            await _roll_back(
                h, ctxt, volume, "compute_extend_failed", "Compute service failed to extend volume."
            )


async def complete_extend(
    h: BackendHost, ctxt: RequestContext, volume_id: str, error: bool
) -> None:
    """Compute grew an attached volume (or could not): finish, or put it back."""
    async with h.locked(volume_id):
        volume = await h.volume(volume_id)
        if volume is None or volume.status != states.EXTENDING:
            return
        if error:
            await _roll_back(
                h, ctxt, volume, "compute_extend_failed", "Compute service failed to extend volume."
            )
        else:
            await _commit(h, volume)


async def _commit(h: BackendHost, volume: Volume) -> None:
    async with h.state.db.session() as s:
        await volumes.transition(
            s,
            volume.id,
            [states.EXTENDING],
            {
                "size": volume.pending_size,
                "pending_size": None,
                "status": volume.previous_status or states.AVAILABLE,
                "previous_status": None,
            },
        )


async def _roll_back(
    h: BackendHost, ctxt: RequestContext, volume: Volume, detail: str, text: str
) -> None:
    await h.tell_user(
        ctxt,
        project_id=volume.project_id,
        resource_type=user_messages.VOLUME,
        resource_id=volume.id,
        action=user_messages.EXTEND_VOLUME,
        detail=detail,
        text=text,
    )
    async with h.state.db.session() as s:
        await volumes.transition(
            s,
            volume.id,
            [states.EXTENDING],
            {
                "pending_size": None,
                "status": volume.previous_status or states.AVAILABLE,
                "previous_status": None,
            },
        )


async def notify_compute(h: BackendHost, ctxt: RequestContext, volume: Volume) -> bool:
    """Send ``volume-extended`` for every server the volume is attached to.

    True if compute took at least one (compute's own side resizes the guest's disk).
    """
    async with h.state.db.reader() as s:
        found = await attachments.of_volume(s, volume.id)
    servers = sorted({a.instance_uuid for a in found if a.instance_uuid})
    if not servers:
        return False
    events = [{"name": "volume-extended", "server_uuid": sid, "tag": volume.id} for sid in servers]
    try:
        client = await h.state.service_compute()
        results = await client.send_events(events)
    except Exception as exc:  # compute down, or refusing the events
        LOG.warning("compute did not take volume-extended for %s: %s", volume.id, exc)
        return False
    return any(r.get("code") == 200 for r in results)
