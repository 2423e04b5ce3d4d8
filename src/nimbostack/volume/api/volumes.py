"""``/volumes``: show, list (summary, detail, summary counts), update and delete."""

from __future__ import annotations

from typing import Any

from sqlalchemy import exists, func, select
from starlette.responses import Response

from nimbostack.core.api.request import ApiRequest
from nimbostack.core.api.responses import empty, json_response
from nimbostack.core.api.schema import MAX_INT
from nimbostack.core.errors import BadRequest
from nimbostack.volume import states
from nimbostack.volume.api import microversions as mv
from nimbostack.volume.api.schemas import volume_update_schema
from nimbostack.volume.api.scope import (
    as_bool,
    at_least,
    check_filters,
    json_filter,
    list_project,
    next_link,
    project_of,
)
from nimbostack.volume.api.views import volumes as views
from nimbostack.volume.db.models import Attachment, Snapshot, Volume
from nimbostack.volume.messages import DeleteVolume
from nimbostack.volume.objects import (
    attachments,
    keyvalues,
    paging,
    snapshots,
    volume_queries,
    volumes,
)
from nimbostack.volume.objects.volume_queries import VolumeFilters
from nimbostack.volume.state import state_of

NOT_DELETABLE = (
    "Invalid volume: Volume status must be available or error or error_restoring or "
    "error_extending or error_managing and must not be migrating, attached, belong to a "
    "group, have snapshots, awaiting a transfer, or be disassociated from snapshots after "
    "volume transfer."
)


def _target(volume: Volume) -> dict[str, Any]:
    return {"project_id": volume.project_id, "user_id": volume.user_id}


async def show_volume(req: ApiRequest) -> Response:
    state = state_of(req)
    async with state.db.reader() as s:
        volume = await volumes.get(s, req.context, req.param("volume_id"))
        req.enforce("volume:get", _target(volume))
        extras = await volumes.extras(s, [volume])
    return json_response({"volume": views.detail(req, volume, extras)})


def _filters(req: ApiRequest) -> VolumeFilters:
    check_filters(req, "volume", mv.LIST_PARAMS)
    found = VolumeFilters(project_id=list_project(req))
    query = req.query
    like = at_least(req, mv.LIKE_FILTER)
    for key in ("name", "display_name", "status", "availability_zone", "migration_status"):
        column = "name" if key == "display_name" else key
        if f"{key}~" in query and like:
            found.like[column] = query[f"{key}~"]
        elif key in query:
            found.exact[column] = query[key]
    if "size" in query:
        found.exact["size"] = req.query_int("size", minimum=0, maximum=MAX_INT)
    if "bootable" in query:
        found.exact["bootable"] = as_bool(query["bootable"], "bootable")
    if "consumes_quota" in query and at_least(req, mv.USE_QUOTA):
        found.exact["use_quota"] = as_bool(query["consumes_quota"], "consumes_quota")
    found.metadata = json_filter(query.get("metadata"), "metadata")
    found.image_metadata = json_filter(query.get("glance_metadata"), "glance_metadata")
    for name in ("created_at", "updated_at"):
        if name in query and at_least(req, mv.VOLUME_TIME_COMPARISON_FILTER):
            found.times += volume_queries.parse_time_filter(name, query[name])
    found.volume_type = query.get("volume_type")
    return found


async def _list(req: ApiRequest, detailed: bool) -> Response:
    state = state_of(req)
    req.enforce("volume:get_all", {"project_id": project_of(req)})
    filters = _filters(req)
    keys = paging.parse_sort(
        req.query.get("sort"),
        req.query.get("sort_key"),
        req.query.get("sort_dir"),
        volume_queries.SORT_COLUMNS,
        Volume.id,
    )
    limit = paging.parse_limit(req.query.get("limit"))
    with_count = at_least(req, mv.SUPPORT_COUNT_INFO) and req.query_bool("with_count")
    async with state.db.reader() as s:
        rows, total = await volume_queries.list_page(
            s,
            filters,
            keys=keys,
            marker=req.query.get("marker"),
            limit=limit,
            with_count=with_count,
        )
        extras = await volumes.extras(s, rows) if detailed else None
    if extras is not None:
        items = [views.detail(req, v, extras) for v in rows]
    else:
        items = [views.summary(req, v) for v in rows]
    body: dict[str, Any] = {"volumes": items}
    collection = "volumes/detail" if detailed else "volumes"
    if found := next_link(req, collection, rows, limit, "limit" in req.query):
        body["volumes_links"] = found
    if total is not None:
        body["count"] = total
    return json_response(body)


async def list_volumes(req: ApiRequest) -> Response:
    return await _list(req, detailed=False)


async def list_volumes_detail(req: ApiRequest) -> Response:
    return await _list(req, detailed=True)


async def volumes_summary(req: ApiRequest) -> Response:
    """``/volumes/summary`` (3.12): how many volumes, their total size (3.36: metadata)."""
    state = state_of(req)
    req.enforce("volume:get_all", {"project_id": project_of(req)})
    project = list_project(req)
    stmt = select(func.count(), func.coalesce(func.sum(Volume.size), 0))
    if project is not None:
        stmt = stmt.where(Volume.project_id == project)
    async with state.db.reader() as s:
        count, size = (await s.execute(stmt)).one()
    summary: dict[str, Any] = {"total_count": int(count), "total_size": int(size)}
    if at_least(req, "3.36"):
        summary["metadata"] = {}
    return json_response({"volume-summary": summary})


async def update_volume(req: ApiRequest) -> Response:
    state = state_of(req)
    body = (await req.json(volume_update_schema(req)))["volume"]
    async with state.db.session() as s:
        volume = await volumes.get(s, req.context, req.param("volume_id"))
        req.enforce("volume:update", _target(volume))
        for field, names in (
            ("name", ("name", "display_name")),
            ("description", ("description", "display_description")),
        ):
            for key in names:
                if key in body:
                    setattr(volume, field, body[key] if body[key] is None else str(body[key]))
        if "metadata" in body:
            await keyvalues.replace(s, keyvalues.VOLUME_METADATA, volume.id, body["metadata"])
        await s.flush()
        extras = await volumes.extras(s, [volume])
    return json_response({"volume": views.detail(req, volume, extras)})


async def delete_volume(req: ApiRequest) -> Response:
    state = state_of(req)
    cascade = req.query_bool("cascade")
    force = at_least(req, "3.23") and req.query_bool("force")
    async with state.db.session() as s:
        volume = await volumes.get(s, req.context, req.param("volume_id"))
        req.enforce("volume:delete", _target(volume))
        if force:
            req.enforce("volume:force_delete", _target(volume))
        await start_delete(s, volume, cascade=cascade, force=force)
        host = volume.host
    if host:
        await state.rpc.cast_manager(req.context, host, DeleteVolume(volume.id))
    return empty(202)


async def start_delete(s: Any, volume: Volume, *, cascade: bool, force: bool) -> None:
    """Move the volume (and with ``cascade`` its snapshots) to deleting, or refuse.

    One conditional UPDATE checks the status, the absence of attachments and (unless
    cascading) of snapshots, so a racing attach or snapshot cannot slip in between. A
    volume that was never placed on a backend is simply removed.
    """
    # The row lock makes a racing snapshot or attach commit first (or wait): the
    # conditional UPDATE below, a new statement, then sees what it added.
    await attachments.lock_volume(s, volume.id)
    expected: tuple[str, ...] = states.VOLUME_STATUSES if force else states.DELETABLE
    if force:
        expected = tuple(x for x in expected if x not in (states.IN_USE, states.DELETING))
    where = [~exists().where(Attachment.volume_id == Volume.id)]
    if not cascade:
        where.append(~exists().where(Snapshot.volume_id == Volume.id))
    else:
        busy = (states.SNAP_CREATING, states.SNAP_DELETING, states.SNAP_BACKING_UP)
        where.append(~exists().where(Snapshot.volume_id == Volume.id, Snapshot.status.in_(busy)))
    values = {"status": states.DELETING, "previous_status": volume.status}
    if not await volumes.transition(s, volume.id, expected, values, where=where):
        raise BadRequest(NOT_DELETABLE)
    if cascade:
        for snap in await snapshots.of_volume(s, volume.id):
            await snapshots.set_values(s, snap.id, {"status": states.SNAP_DELETING})
    if not volume.host:
        await volumes.remove(s, volume.id)


async def show_encryption_metadata(req: ApiRequest) -> Response:
    """``/volumes/{id}/encryption``: what a host needs to open an encrypted volume.

    No volume is encrypted here, so only ``encryption_key_id`` (null) is ever shown.
    """
    state = state_of(req)
    async with state.db.reader() as s:
        volume = await volumes.get(s, req.context, req.param("volume_id"))
    req.enforce("volume_extension:volume_encryption_metadata", _target(volume))
    return json_response({"encryption_key_id": volume.encryption_key_id})
