"""``/attachments`` (3.27): reserve a volume for a server, connect it, complete, delete.

Compute's flow: create (reserves the volume; with a connector it also connects),
update with the host's connector (returns ``connection_info``), complete once the
guest has the disk (3.44), delete when detached. ``connection_info`` is Cinder's
flat form: the transport's data with ``driver_volume_type`` and ``attachment_id``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from starlette.responses import Response

from nimbostack.core.api.request import ApiRequest
from nimbostack.core.api.responses import empty, json_response
from nimbostack.core.errors import BadRequest, Conflict
from nimbostack.volume import states
from nimbostack.volume.api import microversions as mv
from nimbostack.volume.api.attach_guard import (
    check_deletion_allowed,
    is_service_request,
    without_secrets,
)
from nimbostack.volume.api.calls import call_manager
from nimbostack.volume.api.schemas import obj
from nimbostack.volume.api.scope import all_projects, at_least, check_filters, project_of, timestamp
from nimbostack.volume.db.models import Attachment, Volume
from nimbostack.volume.messages import ExportVolume, UnexportVolume
from nimbostack.volume.objects import attachments, paging, volumes
from nimbostack.volume.state import VolumeState, state_of

CONNECTOR: dict[str, Any] = {"type": ["object", "null"]}
CREATE = obj(
    {
        "attachment": obj(
            {
                "volume_uuid": {"type": "string", "format": "uuid"},
                "instance_uuid": {"type": ["string", "null"], "format": "uuid"},
                "connector": CONNECTOR,
                "mode": {"type": ["string", "null"], "enum": ["rw", "ro", "null", None]},
            },
            ["volume_uuid"],
        )
    },
    ["attachment"],
)
UPDATE = obj({"attachment": obj({"connector": {"type": "object"}}, ["connector"])}, ["attachment"])
COMPLETE = obj({"os-complete": {"type": ["object", "null"]}}, ["os-complete"])


def summary(att: Attachment) -> dict[str, Any]:
    return {
        "id": att.id,
        "status": att.attach_status,
        "instance": att.instance_uuid,
        "volume_id": att.volume_id,
    }


def detail(req: ApiRequest, att: Attachment) -> dict[str, Any]:
    info = att.connection_info or {}
    return {
        **summary(att),
        "attached_at": timestamp(att.attach_time) or "",
        "detached_at": timestamp(att.detach_time) or "",
        "attach_mode": att.attach_mode,
        "connection_info": info
        if is_service_request(req, state_of(req))
        else without_secrets(info),
    }


def _target(row: Volume | Attachment) -> dict[str, Any]:
    return {"project_id": row.project_id}


async def show_attachment(req: ApiRequest) -> Response:
    state = state_of(req)
    async with state.db.reader() as s:
        att = await attachments.get(s, req.context, req.param("attachment_id"))
    return json_response({"attachment": detail(req, att)})


async def _list(req: ApiRequest, detailed: bool) -> Response:
    check_filters(req, "attachment", mv.LIST_PARAMS)
    state = state_of(req)
    stmt = select(Attachment)
    if not all_projects(req):
        stmt = stmt.where(Attachment.project_id == project_of(req))
    if "volume_id" in req.query:
        stmt = stmt.where(Attachment.volume_id == req.query["volume_id"])
    if "instance_id" in req.query:
        stmt = stmt.where(Attachment.instance_uuid == req.query["instance_id"])
    for key in ("status", "attach_status"):
        if key in req.query:
            stmt = stmt.where(Attachment.attach_status == req.query[key])
    columns = {"id": Attachment.id, "created_at": Attachment.created_at}
    keys = paging.parse_sort(
        req.query.get("sort"),
        req.query.get("sort_key"),
        req.query.get("sort_dir"),
        columns,
        Attachment.id,
    )
    limit = paging.parse_limit(req.query.get("limit"))
    async with state.db.reader() as s:
        rows = await paging.page(
            s,
            stmt,
            keys=keys,
            id_col=Attachment.id,
            marker=req.query.get("marker"),
            limit=limit,
            scope=None,
        )
    if detailed:
        return json_response({"attachments": [detail(req, a) for a in rows]})
    return json_response({"attachments": [summary(a) for a in rows]})


async def list_attachments(req: ApiRequest) -> Response:
    return await _list(req, detailed=False)


async def list_attachments_detail(req: ApiRequest) -> Response:
    return await _list(req, detailed=True)


async def create_attachment(req: ApiRequest) -> Response:
    state = state_of(req)
    wanted = (await req.json(CREATE))["attachment"]
    mode = wanted.get("mode") if at_least(req, mv.ATTACHMENT_CREATE_MODE_ARG) else None
    async with state.db.session() as s:
        volume = await volumes.get(s, req.context, wanted["volume_uuid"])
        req.enforce("volume:attachment_create", _target(volume))
        if "error" in volume.status:
            raise BadRequest(
                f"Invalid volume: Volume attachments can not be created if the "
                f"volume is in an error state. The Volume {volume.id} currently "
                f"has a status of: {volume.status} "
            )
        if volume.multiattach and volume.bootable and volume.status == states.IN_USE:
            req.enforce("volume:multiattach_bootable_volume", _target(volume))
        att_mode = "ro" if volume.readonly else (mode if mode in ("rw", "ro") else "null")
        att = await attachments.reserve(s, volume, wanted.get("instance_uuid"), att_mode)
    if wanted.get("connector"):
        att = await _connect(req, state, att, dict(wanted["connector"]))
    return json_response({"attachment": detail(req, att)})


async def update_attachment(req: ApiRequest) -> Response:
    state = state_of(req)
    connector = dict((await req.json(UPDATE))["attachment"]["connector"])
    async with state.db.reader() as s:
        att = await attachments.get(s, req.context, req.param("attachment_id"))
        req.enforce("volume:attachment_update", _target(att))
        volume = await volumes.get_any(s, att.volume_id)
        others = await attachments.of_volume(s, att.volume_id)
    assert volume is not None
    if "error" in volume.status:
        raise Conflict(
            f"Volume attachments can not be updated if the volume is in an error "
            f"state. The Volume {volume.id} currently has a status of: "
            f"{volume.status} "
        )
    connected_hosts = {
        str((a.connector or {}).get("host")) for a in others if a.connection_info and a.id != att.id
    }
    host = str(connector.get("host"))
    if not volume.multiattach and connected_hosts and host not in connected_hosts | {"None"}:
        # Two hosts may hold one volume only while a server moves between them.
        same_server = all(a.instance_uuid == att.instance_uuid for a in others)
        if not same_server:
            raise Conflict(f"duplicate connectors detected on volume {volume.id}")
    att = await _connect(req, state, att, connector)
    return json_response({"attachment": detail(req, att)})


async def _connect(
    req: ApiRequest, state: VolumeState, att: Attachment, connector: dict[str, Any]
) -> Attachment:
    volume = await volumes.find(state.db, req.context, att.volume_id)
    if not volume.host:
        raise BadRequest(f"Invalid volume: Volume {volume.id} is not on any backend.")
    if att.attach_mode != "null":
        connector["mode"] = att.attach_mode
    msg = ExportVolume(volume.id, att.id, connector)
    info = await call_manager(state, req, volume.host, msg)
    flat = {**info.get("data", {}), "driver_volume_type": info["driver_volume_type"]}
    flat["attachment_id"] = att.id
    flat["enforce_multipath"] = bool(connector.get("enforce_multipath", False))
    async with state.db.session() as s:
        await attachments.lock_volume(s, volume.id)
        fresh = await s.get(Attachment, att.id)
        if fresh is None:
            raise attachments.not_found(att.id)
        if fresh.attach_mode == "null":
            fresh.attach_mode = str(info.get("data", {}).get("access_mode") or "rw")
        await attachments.set_connection(s, fresh, connector=connector, connection_info=flat)
    return fresh


async def complete_attachment(req: ApiRequest) -> Response:
    if not at_least(req, mv.NEW_ATTACH_COMPLETION):
        raise BadRequest("There is no such action: os-complete")
    await req.json(COMPLETE)
    state = state_of(req)
    async with state.db.session() as s:
        att = await attachments.get(s, req.context, req.param("attachment_id"))
        req.enforce("volume:attachment_complete", _target(att))
        await attachments.lock_volume(s, att.volume_id)
        await attachments.complete(s, att)
    return empty(204)


async def delete_attachment(req: ApiRequest) -> Response:
    state = state_of(req)
    async with state.db.reader() as s:
        att = await attachments.get(s, req.context, req.param("attachment_id"))
        volume = await volumes.get_any(s, att.volume_id)
    req.enforce("volume:attachment_delete", _target(att))
    await check_deletion_allowed(req, state, att)
    if att.connection_info and volume is not None and volume.host:
        await call_manager(state, req, volume.host, UnexportVolume(volume.id, att.id))
    async with state.db.session() as s:
        fresh = await s.get(Attachment, att.id)
        if fresh is not None:
            await attachments.remove(s, fresh)
        left = await attachments.of_volume(s, att.volume_id)
    return json_response({"attachments": [summary(a) for a in left]})
