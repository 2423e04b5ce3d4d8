"""Admin volume actions: reset status, force delete and detach, migrate, and compute's
answer to an extend of an attached volume (os-extend_volume_completion, 3.71)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from starlette.responses import Response

from nimbostack.core.api.request import ApiRequest, validate
from nimbostack.core.api.responses import empty
from nimbostack.core.errors import BadRequest
from nimbostack.volume import states
from nimbostack.volume.api.calls import call_manager
from nimbostack.volume.api.schemas import BOOLEAN, obj
from nimbostack.volume.api.scope import as_bool
from nimbostack.volume.api.volumes import start_delete
from nimbostack.volume.db.models import Service, Volume
from nimbostack.volume.messages import CompleteExtend, DeleteVolume, MigrateVolume, UnexportVolume
from nimbostack.volume.objects import attachments, services, snapshots, volumes
from nimbostack.volume.objects.transfers import AWAITING_TRANSFER
from nimbostack.volume.rpcapi import backend_of
from nimbostack.volume.state import state_of

RESET = obj(
    {
        "status": {"type": "string", "enum": [*states.VOLUME_STATUSES, AWAITING_TRANSFER]},
        "attach_status": {"type": "string", "enum": [states.ATTACHED, states.DETACHED]},
        "migration_status": {
            "type": ["string", "null"],
            "enum": ["migrating", "error", "success", "completing", "none", "starting", None],
        },
    }
)
RESET["anyOf"] = [{"required": [k]} for k in ("status", "attach_status", "migration_status")]
FORCE_DETACH = obj(
    {"attachment_id": {"type": ["string", "null"]}, "connector": {"type": ["object", "null"]}},
    extra=True,
)
MIGRATE = obj(
    {
        "host": {"type": "string", "minLength": 1, "maxLength": 255},
        "force_host_copy": BOOLEAN,
        "lock_volume": BOOLEAN,
    },
    ["host"],
)
EXTEND_COMPLETION = obj({"error": BOOLEAN})


def _target(volume: Volume) -> dict[str, Any]:
    return {"project_id": volume.project_id}


async def reset_status(req: ApiRequest, volume_id: str, body: Any) -> Response:
    validate(body, RESET)
    state = state_of(req)
    async with state.db.session() as s:
        volume = await volumes.get(s, req.context, volume_id)
        req.enforce("volume_extension:volume_admin_actions:reset_status", _target(volume))
        values: dict[str, Any] = {}
        if "status" in body:
            values["status"] = body["status"]
        if "attach_status" in body:
            values["attach_status"] = body["attach_status"]
        if "migration_status" in body:
            migration = body["migration_status"]
            values["migration_status"] = None if migration in (None, "none") else migration
        if values.get("status") not in (None, states.EXTENDING):
            values["pending_size"] = None  # an extend given up on frees its quota
        await volumes.set_values(s, volume.id, values)
    return empty(202)


async def force_delete(req: ApiRequest, volume_id: str, body: Any) -> Response:
    state = state_of(req)
    async with state.db.session() as s:
        volume = await volumes.get(s, req.context, volume_id)
        req.enforce("volume_extension:volume_admin_actions:force_delete", _target(volume))
        await start_delete(s, volume, cascade=False, force=True)
    if volume.host:
        await state.rpc.cast_manager(req.context, volume.host, DeleteVolume(volume.id))
    return empty(202)


async def force_detach(req: ApiRequest, volume_id: str, body: Any) -> Response:
    validate(body, FORCE_DETACH)
    state = state_of(req)
    async with state.db.reader() as s:
        volume = await volumes.get(s, req.context, volume_id)
        req.enforce("volume_extension:volume_admin_actions:force_detach", _target(volume))
        found = await attachments.of_volume(s, volume.id)
    wanted = body.get("attachment_id")
    doomed = [a for a in found if not wanted or a.id == wanted]
    if wanted and not doomed:
        raise attachments.not_found(wanted)
    for attachment in doomed:
        if attachment.connection_info and volume.host:
            msg = UnexportVolume(volume.id, attachment.id)
            await call_manager(state, req, volume.host, msg)
        async with state.db.session() as s:
            await attachments.remove(s, attachment)
    return empty(202)


async def migrate_volume(req: ApiRequest, volume_id: str, body: Any) -> Response:
    validate(body, MIGRATE)
    state = state_of(req)
    destination = backend_of(body["host"])
    async with state.db.session() as s:
        volume = await volumes.get(s, req.context, volume_id)
        req.enforce("volume_extension:volume_admin_actions:migrate_volume", _target(volume))
        await _check_migration(s, volume, destination)
        values = {
            "status": states.MAINTENANCE,
            "previous_status": volume.status,
            "migration_status": "migrating",
        }
        if not await volumes.transition(s, volume.id, [states.AVAILABLE], values):
            raise BadRequest(
                f"Invalid volume: Volume {volume.id} status must be available to "
                f"migrate, but it is {volume.status}."
            )
    await state.rpc.cast_manager(
        req.context, str(volume.host), MigrateVolume(volume.id, destination)
    )
    return empty(202)


async def _check_migration(s: Any, volume: Volume, destination: str) -> None:
    if backend_of(str(volume.host or "")) == destination:
        raise BadRequest(
            "Invalid input received: Destination host must be different than the current host."
        )
    known = await s.scalar(
        select(Service.id).where(Service.host == destination, Service.binary == services.VOLUME)
    )
    if known is None:
        raise BadRequest(f"Invalid input received: No volume service on host {destination}.")
    if await snapshots.count_of_volume(s, volume.id):
        raise BadRequest("Invalid volume: Volume must not have snapshots.")


async def extend_volume_completion(req: ApiRequest, volume_id: str, body: Any) -> Response:
    validate(body, EXTEND_COMPLETION)
    state = state_of(req)
    async with state.db.reader() as s:
        volume = await volumes.get(s, req.context, volume_id)
    req.enforce("volume_extension:volume_admin_actions:extend_volume_completion", _target(volume))
    if volume.status != states.EXTENDING:
        raise BadRequest("Invalid volume: Volume is not being extended.")
    error = as_bool(body.get("error", False), "error")
    await state.rpc.cast_manager(req.context, str(volume.host), CompleteExtend(volume.id, error))
    return empty(202)
