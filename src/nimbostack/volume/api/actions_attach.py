"""The legacy attach flow (before the attachments API): reserve, initialize the connection,
attach, then begin detaching, detach, terminate the connection.

Each status change is one conditional UPDATE, so of two servers racing for a volume
one wins and the other gets 400; a volume's status after an attach or detach is
recomputed from its attachments (objects/attachments).
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from starlette.responses import Response

from nimbostack.core.api.request import ApiRequest, validate
from nimbostack.core.api.responses import empty, json_response
from nimbostack.core.errors import BadRequest
from nimbostack.volume import states
from nimbostack.volume.api.attach_guard import (
    check_deletion_allowed,
    is_service_request,
    without_secrets,
)
from nimbostack.volume.api.calls import call_manager
from nimbostack.volume.api.schemas import obj
from nimbostack.volume.db.models import Attachment, Volume
from nimbostack.volume.messages import ExportVolume, UnexportVolume
from nimbostack.volume.objects import attachments, volumes
from nimbostack.volume.state import state_of

CONNECTOR = obj({"connector": {"type": "object"}}, ["connector"], extra=True)
ATTACH = obj(
    {
        "instance_uuid": {"type": ["string", "null"], "format": "uuid"},
        "host_name": {"type": ["string", "null"], "maxLength": 255},
        "mountpoint": {"type": "string", "maxLength": 255},
        "mode": {"type": "string", "enum": ["rw", "ro"]},
    },
    ["mountpoint"],
)
DETACH = obj({"attachment_id": {"type": ["string", "null"]}}, extra=True)


def legacy_export_id(volume_id: str, connector: dict[str, Any]) -> str:
    """The export of a legacy connection is named after the volume and the host."""
    return f"legacy-{volume_id}-{connector.get('host') or 'local'}"


def _target(volume: Volume) -> dict[str, Any]:
    return {"project_id": volume.project_id}


async def _guarded(
    req: ApiRequest,
    volume_id: str,
    *,
    rule: str,
    expected: list[str],
    values: dict[str, Any],
    wanted: str,
) -> Response:
    state = state_of(req)
    async with state.db.session() as s:
        volume = await volumes.get(s, req.context, volume_id)
        req.enforce(rule, _target(volume))
        if not await volumes.transition(s, volume.id, expected, values):
            raise BadRequest(
                f"Invalid volume: Volume status must be {wanted}, but the "
                f"status is {volume.status}."
            )
    return empty(202)


async def reserve(req: ApiRequest, volume_id: str, body: Any) -> Response:
    state = state_of(req)
    async with state.db.reader() as s:
        volume = await volumes.get(s, req.context, volume_id)
    expected = [states.AVAILABLE] + ([states.IN_USE] if volume.multiattach else [])
    return await _guarded(
        req,
        volume_id,
        rule="volume_extension:volume_actions:reserve",
        expected=expected,
        values={"status": states.ATTACHING},
        wanted=" or ".join(expected),
    )


async def unreserve(req: ApiRequest, volume_id: str, body: Any) -> Response:
    state = state_of(req)
    async with state.db.session() as s:
        volume = await volumes.get(s, req.context, volume_id)
        req.enforce("volume_extension:volume_actions:unreserve", _target(volume))
        await attachments.lock_volume(s, volume.id)
        if volume.status == states.ATTACHING:
            await attachments.refresh_volume_status(s, volume.id)
    return empty(202)


async def begin_detaching(req: ApiRequest, volume_id: str, body: Any) -> Response:
    return await _guarded(
        req,
        volume_id,
        rule="volume_extension:volume_actions:begin_detaching",
        expected=[states.IN_USE],
        values={"status": states.DETACHING},
        wanted="in-use",
    )


async def roll_detaching(req: ApiRequest, volume_id: str, body: Any) -> Response:
    state = state_of(req)
    async with state.db.session() as s:
        volume = await volumes.get(s, req.context, volume_id)
        req.enforce("volume_extension:volume_actions:roll_detaching", _target(volume))
        await volumes.transition(s, volume.id, [states.DETACHING], {"status": states.IN_USE})
    return empty(202)


async def initialize_connection(req: ApiRequest, volume_id: str, body: Any) -> Response:
    validate(body, CONNECTOR)
    state = state_of(req)
    volume = await volumes.find(state.db, req.context, volume_id)
    req.enforce("volume_extension:volume_actions:initialize_connection", _target(volume))
    if volume.status == states.MAINTENANCE:
        raise BadRequest(
            "Invalid volume: The volume connection cannot be initialized in maintenance mode."
        )
    if not volume.host:
        raise BadRequest(f"Invalid volume: Volume {volume.id} is not on any backend.")
    connector = dict(body["connector"])
    msg = ExportVolume(volume.id, legacy_export_id(volume.id, connector), connector)
    info = await call_manager(state, req, volume.host, msg)
    if not is_service_request(req, state):
        info = without_secrets(info)
    return json_response({"connection_info": info})


async def terminate_connection(req: ApiRequest, volume_id: str, body: Any) -> Response:
    validate(body, CONNECTOR)
    state = state_of(req)
    async with state.db.reader() as s:
        volume = await volumes.get(s, req.context, volume_id)
        found = await attachments.of_volume(s, volume.id)
    req.enforce("volume_extension:volume_actions:terminate_connection", _target(volume))
    await check_deletion_allowed(req, state, found[0] if len(found) == 1 else None, len(found))
    if volume.host:
        export_id = legacy_export_id(volume.id, dict(body["connector"]))
        await call_manager(state, req, volume.host, UnexportVolume(volume.id, export_id))
    async with state.db.session() as s:
        await attachments.lock_volume(s, volume.id)
        if (await volumes.get(s, req.context, volume_id)).status == states.ATTACHING:
            await attachments.refresh_volume_status(s, volume.id)
    return empty(202)


async def attach(req: ApiRequest, volume_id: str, body: Any) -> Response:
    validate(body, ATTACH)
    state = state_of(req)
    async with state.db.session() as s:
        volume = await volumes.get(s, req.context, volume_id)
        req.enforce("volume_extension:volume_actions:attach", _target(volume))
        await attachments.lock_volume(s, volume.id)
        mode = body.get("mode", "rw")
        if volume.readonly and mode != "ro":
            raise BadRequest(f"Invalid attaching mode '{mode}' for volume {volume.id}.")
        allowed = [states.ATTACHING, states.AVAILABLE, states.RESERVED]
        if volume.multiattach:
            allowed.append(states.IN_USE)
        if volume.status not in allowed:
            raise BadRequest(
                f"Invalid volume: Volume status must be attaching, but it is {volume.status}."
            )
        now = time.time()
        s.add(
            Attachment(
                id=str(uuid.uuid4()),
                volume_id=volume.id,
                project_id=volume.project_id,
                instance_uuid=body.get("instance_uuid"),
                attached_host=body.get("host_name"),
                mountpoint=body["mountpoint"],
                attach_status=states.ATT_ATTACHED,
                attach_mode=mode,
                attach_time=now,
                created_at=now,
                updated_at=now,
            )
        )
        await s.flush()
        await attachments.refresh_volume_status(s, volume.id)
    return empty(202)


async def detach(req: ApiRequest, volume_id: str, body: Any) -> Response:
    validate(body or {}, DETACH)
    state = state_of(req)
    wanted = (body or {}).get("attachment_id")
    async with state.db.reader() as s:
        volume = await volumes.get(s, req.context, volume_id)
        found = await attachments.of_volume(s, volume.id)
    req.enforce("volume_extension:volume_actions:detach", _target(volume))
    if volume.status == states.MAINTENANCE:
        raise BadRequest("Invalid volume: The volume cannot be detached in maintenance mode.")
    chosen = [a for a in found if a.id == wanted] if wanted else found
    if wanted and not chosen:
        raise attachments.not_found(wanted)
    if len(chosen) != 1:
        raise BadRequest(
            "Invalid volume: Volume has several attachments; name the one to "
            "detach with attachment_id."
            if chosen
            else "Invalid volume: Volume is not attached."
        )
    await check_deletion_allowed(req, state, chosen[0])
    async with state.db.session() as s:
        await attachments.remove(s, chosen[0])
    return empty(202)
