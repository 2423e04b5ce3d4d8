"""Restoring a backup without naming a volume: a new volume is made from the backup."""

from __future__ import annotations

from starlette.responses import Response

from nimbostack.core.api.request import ApiRequest
from nimbostack.core.api.responses import json_response
from nimbostack.core.errors import BadRequest
from nimbostack.volume import states
from nimbostack.volume.api.volume_create import Source, start_create
from nimbostack.volume.db.models import Backup
from nimbostack.volume.objects import types
from nimbostack.volume.state import VolumeState


async def restore_to_new_volume(
    req: ApiRequest, state: VolumeState, backup: Backup, name: str | None
) -> Response:
    """A volume of the backup's size, default type and zone, built from the backup."""
    if backup.status != states.BACKUP_AVAILABLE:
        raise BadRequest(
            f"Invalid backup: Backup status must be available, but it is {backup.status}."
        )
    req.enforce("volume:create", {"project_id": req.context.project_id or ""})
    async with state.db.reader() as s:
        vtype = await types.default(s, str(state.options.default_volume_type))
    name = name or f"restore_backup_{backup.id}"
    zone = backup.availability_zone or str(state.options.storage_availability_zone)
    source = Source("backup", backup.id, backup.size)
    volume, _meta = await start_create(
        req, state, {"name": name}, source=source, vtype=vtype, size=backup.size, zone=zone
    )
    answer = {"backup_id": backup.id, "volume_id": volume.id, "volume_name": volume.name}
    return json_response({"restore": answer}, 202)
