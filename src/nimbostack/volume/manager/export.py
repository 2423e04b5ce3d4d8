"""Exports: making a volume reachable from the host that attaches it, and closing that.

The backend says how the host reaches the data (a path on this host; later a network
export); the manager adds what every host needs to know: the access mode, the QoS
keys the host enforces (front-end QoS specs of the volume's type) and the ids.
"""

from __future__ import annotations

from typing import Any

from nimbostack.core.context import RequestContext
from nimbostack.volume.backends.base import BackendError
from nimbostack.volume.db.models import Attachment
from nimbostack.volume.manager.host import BackendHost, volume_ref
from nimbostack.volume.messages import ExportFailed, ExportVolume, UnexportVolume
from nimbostack.volume.objects import qos


async def export_volume(h: BackendHost, ctxt: RequestContext, msg: ExportVolume) -> dict[str, Any]:
    volume = await h.volume(msg.volume_id)
    if volume is None or not h.owns(volume.host):
        raise ExportFailed(f"Volume {msg.volume_id} is not on backend {h.name}.")
    try:
        info = await h.backend.export(volume_ref(volume), msg.attachment_id, msg.connector)
    except BackendError as exc:
        raise ExportFailed(str(exc)) from None
    async with h.state.db.reader() as s:
        attachment = await s.get(Attachment, msg.attachment_id)
        specs = await qos.front_end_specs(s, volume.volume_type_id)
    mode = attachment.attach_mode if attachment is not None else None
    if mode not in ("rw", "ro"):
        mode = "ro" if volume.readonly else str(msg.connector.get("mode") or "rw")
    found = info.to_dict()
    found["data"].update(
        {
            "volume_id": volume.id,
            "access_mode": mode,
            "qos_specs": specs,
            "encrypted": False,
            "discard": True,
        }
    )
    return found


async def unexport_volume(h: BackendHost, ctxt: RequestContext, msg: UnexportVolume) -> None:
    volume = await h.volume(msg.volume_id)
    if volume is None:
        return
    try:
        await h.backend.unexport(volume_ref(volume), msg.attachment_id)
    except BackendError as exc:
        raise ExportFailed(str(exc)) from None
