"""``/snapshots``: create (``force`` for in-use volumes before 3.66), list, show, update,
delete, their metadata, and the admin actions reset-status and force-delete."""

from __future__ import annotations

import time
import uuid
from typing import Any

from starlette.responses import Response

from nimbostack.core.api.request import ApiRequest, validate
from nimbostack.core.api.responses import empty, json_response
from nimbostack.core.errors import BadRequest, NotFound
from nimbostack.volume import states
from nimbostack.volume.api import microversions as mv
from nimbostack.volume.api.schemas import BOOLEAN, DESCRIPTION, KEY_VALUES, NAME, obj, wrapped
from nimbostack.volume.api.scope import (
    as_bool,
    at_least,
    check_filters,
    json_filter,
    links,
    list_project,
    next_link,
    project_of,
    timestamp,
)
from nimbostack.volume.db.models import Snapshot
from nimbostack.volume.messages import CreateSnapshot, DeleteSnapshot
from nimbostack.volume.objects import attachments, keyvalues, paging, quotas, snapshots, types
from nimbostack.volume.objects import volumes as volume_records
from nimbostack.volume.state import state_of

CREATE = wrapped(
    "snapshot",
    obj(
        {
            "volume_id": {"type": "string", "format": "uuid"},
            "force": BOOLEAN,
            "name": NAME,
            "display_name": NAME,
            "description": DESCRIPTION,
            "display_description": DESCRIPTION,
            "metadata": {**KEY_VALUES, "type": ["object", "null"]},
        },
        ["volume_id"],
    ),
)
UPDATE = wrapped(
    "snapshot",
    obj(
        {
            "name": NAME,
            "display_name": NAME,
            "description": DESCRIPTION,
            "display_description": DESCRIPTION,
        }
    ),
)
RESET = obj({"status": {"type": "string", "enum": list(states.SNAPSHOT_STATUSES)}}, ["status"])


def _target(snap: Snapshot) -> dict[str, Any]:
    return {"project_id": snap.project_id}


def view(req: ApiRequest, snap: Snapshot, metadata: dict[str, str]) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": snap.id,
        "created_at": timestamp(snap.created_at),
        "updated_at": timestamp(snap.updated_at),
        "name": snap.name,
        "description": snap.description,
        "volume_id": snap.volume_id,
        "status": snap.status,
        "size": snap.volume_size,
        "metadata": metadata,
        "links": links(req, "snapshots", snap.id),
    }
    if req.allowed("volume_extension:extended_snapshot_attributes", _target(snap)):
        body["os-extended-snapshot-attributes:project_id"] = snap.project_id
        body["os-extended-snapshot-attributes:progress"] = snap.progress
    if at_least(req, "3.14"):
        body["group_snapshot_id"] = None
    if at_least(req, mv.SNAPSHOT_LIST_USER_ID):
        body["user_id"] = snap.user_id
    if at_least(req, mv.USE_QUOTA):
        body["consumes_quota"] = snap.use_quota
    return body


async def create_snapshot(req: ApiRequest) -> Response:
    state = state_of(req)
    wanted = (await req.json(CREATE))["snapshot"]
    force = as_bool(wanted.get("force", False), "force")
    metadata = {str(k): str(v) for k, v in (wanted.get("metadata") or {}).items()}
    async with state.db.session() as s:
        volume = await volume_records.get(s, req.context, wanted["volume_id"])
        req.enforce("volume:create_snapshot", {"project_id": volume.project_id})
        # Locked and read again: a racing delete either committed (and shows) or waits.
        await attachments.lock_volume(s, volume.id)
        in_use_ok = force or at_least(req, mv.SNAPSHOT_IN_USE)
        if volume.status != states.AVAILABLE and not (volume.status == states.IN_USE and in_use_ok):
            raise BadRequest(
                f"Invalid volume: Volume {volume.id} status must be available, "
                f"but current status is: {volume.status}."
            )
        vtype = await types.get_by_id(s, volume.volume_type_id)
        wanted_quota = {"snapshots": 1, "gigabytes": volume.size}
        await quotas.check(s, state.options, volume.project_id, wanted_quota, vtype.name)
        now = time.time()
        snap = Snapshot(
            id=str(uuid.uuid4()),
            volume_id=volume.id,
            project_id=volume.project_id,
            user_id=req.context.user_id or "",
            name=wanted.get("name", wanted.get("display_name")),
            description=wanted.get("description", wanted.get("display_description")),
            status=states.SNAP_CREATING,
            progress="0%",
            volume_size=volume.size,
            volume_type_id=volume.volume_type_id,
            created_at=now,
            updated_at=now,
        )
        s.add(snap)
        await s.flush()
        await keyvalues.replace(s, keyvalues.SNAPSHOT_METADATA, snap.id, metadata)
    await state.rpc.cast_manager(req.context, str(volume.host), CreateSnapshot(snap.id))
    return json_response({"snapshot": view(req, snap, metadata)}, 202)


async def show_snapshot(req: ApiRequest) -> Response:
    state = state_of(req)
    async with state.db.reader() as s:
        snap = await snapshots.get(s, req.context, req.param("snapshot_id"))
        req.enforce("volume:get_snapshot", _target(snap))
        metadata = await keyvalues.read(s, keyvalues.SNAPSHOT_METADATA, snap.id)
    return json_response({"snapshot": view(req, snap, metadata)})


async def _list(req: ApiRequest, detailed: bool) -> Response:
    check_filters(req, "snapshot", mv.LIST_PARAMS)
    state = state_of(req)
    req.enforce("volume:get_all_snapshots", {"project_id": project_of(req)})
    query = req.query
    exact = {k: query[k] for k in ("name", "status", "volume_id") if k in query}
    metadata = json_filter(query.get("metadata"), "metadata")
    keys = paging.parse_sort(
        query.get("sort"),
        query.get("sort_key"),
        query.get("sort_dir"),
        snapshots.SORT_COLUMNS,
        Snapshot.id,
    )
    limit = paging.parse_limit(query.get("limit"))
    with_count = at_least(req, mv.SUPPORT_COUNT_INFO) and req.query_bool("with_count")
    async with state.db.reader() as s:
        rows, total = await snapshots.list_page(
            s,
            project_id=list_project(req),
            exact=exact,
            metadata=metadata,
            keys=keys,
            marker=query.get("marker"),
            limit=limit,
            with_count=with_count,
        )
        found = await snapshots.metadata_of(s, [r.id for r in rows])
    body: dict[str, Any] = {"snapshots": [view(req, r, found.get(r.id, {})) for r in rows]}
    collection = "snapshots/detail" if detailed else "snapshots"
    if link := next_link(req, collection, rows, limit, "limit" in query):
        body["snapshots_links"] = link
    if total is not None:
        body["count"] = total
    return json_response(body)


async def list_snapshots(req: ApiRequest) -> Response:
    return await _list(req, detailed=False)


async def list_snapshots_detail(req: ApiRequest) -> Response:
    return await _list(req, detailed=True)


async def update_snapshot(req: ApiRequest) -> Response:
    state = state_of(req)
    wanted = (await req.json(UPDATE))["snapshot"]
    async with state.db.session() as s:
        snap = await snapshots.get(s, req.context, req.param("snapshot_id"))
        req.enforce("volume:update_snapshot", _target(snap))
        for field, names in (
            ("name", ("name", "display_name")),
            ("description", ("description", "display_description")),
        ):
            for key in names:
                if key in wanted:
                    setattr(snap, field, wanted[key])
        snap.updated_at = time.time()
        metadata = await keyvalues.read(s, keyvalues.SNAPSHOT_METADATA, snap.id)
    return json_response({"snapshot": view(req, snap, metadata)})


async def delete_snapshot(req: ApiRequest) -> Response:
    state = state_of(req)
    async with state.db.session() as s:
        snap = await snapshots.get(s, req.context, req.param("snapshot_id"))
        req.enforce("volume:delete_snapshot", _target(snap))
        await _start_delete(s, snap, force=False)
        volume = await volume_records.get_any(s, snap.volume_id)
    if volume is not None and volume.host:
        await state.rpc.cast_manager(req.context, volume.host, DeleteSnapshot(snap.id))
    return empty(202)


async def _start_delete(s: Any, snap: Snapshot, *, force: bool) -> None:
    expected = [states.SNAP_AVAILABLE, states.SNAP_ERROR, states.SNAP_ERROR_DELETING]
    if force:
        expected.append(states.SNAP_CREATING)
    values = {"status": states.SNAP_DELETING}
    if not await snapshots.transition(s, snap.id, expected, values):
        raise BadRequest(
            f"Invalid snapshot: Snapshot status must be available or error and "
            f"no backup must be in progress, but it is {snap.status}."
        )


async def snapshot_action(req: ApiRequest) -> Response:
    state = state_of(req)
    body = await req.json({"type": "object", "minProperties": 1, "maxProperties": 1})
    name, args = next(iter(body.items()))
    async with state.db.session() as s:
        snap = await snapshots.get(s, req.context, req.param("snapshot_id"))
        if name == "os-reset_status":
            req.enforce("volume_extension:snapshot_admin_actions:reset_status", _target(snap))
            validate(args, RESET)
            await snapshots.set_values(s, snap.id, {"status": args["status"]})
            return empty(202)
        if name != "os-force_delete":
            raise BadRequest(f"There is no such action: {name}")
        req.enforce("volume_extension:snapshot_admin_actions:force_delete", _target(snap))
        await _start_delete(s, snap, force=True)
        volume = await volume_records.get_any(s, snap.volume_id)
    if volume is not None and volume.host:
        await state.rpc.cast_manager(req.context, volume.host, DeleteSnapshot(snap.id))
    return empty(202)


async def snapshot_metadata(req: ApiRequest) -> Response:
    """GET, POST (merge) and PUT (replace) of a snapshot's metadata."""
    state = state_of(req)
    method = req.http.method
    body = await req.json(wrapped("metadata", KEY_VALUES)) if method != "GET" else None
    async with state.db.session() as s:
        snap = await snapshots.get(s, req.context, req.param("snapshot_id"))
        req.enforce(
            "volume:get_snapshot_metadata"
            if method == "GET"
            else "volume:update_snapshot_metadata",
            _target(snap),
        )
        table = keyvalues.SNAPSHOT_METADATA
        if body is not None and method == "PUT":
            await keyvalues.replace(s, table, snap.id, body["metadata"])
        elif body is not None:
            await keyvalues.merge(s, table, snap.id, body["metadata"])
        found = await keyvalues.read(s, table, snap.id)
    return json_response({"metadata": found})


async def snapshot_metadata_item(req: ApiRequest) -> Response:
    """GET, PUT and DELETE of one key of a snapshot's metadata."""
    state = state_of(req)
    method, key = req.http.method, req.param("key")
    body = await req.json(wrapped("meta", KEY_VALUES)) if method == "PUT" else None
    if body is not None and key not in body["meta"]:
        raise BadRequest("Request body and URI mismatch")
    table = keyvalues.SNAPSHOT_METADATA
    async with state.db.session() as s:
        snap = await snapshots.get(s, req.context, req.param("snapshot_id"))
        req.enforce(
            "volume:get_snapshot_metadata"
            if method == "GET"
            else "volume:update_snapshot_metadata"
            if method == "PUT"
            else "volume:delete_snapshot_metadata",
            _target(snap),
        )
        if method == "PUT" and body is not None:
            await keyvalues.merge(s, table, snap.id, body["meta"])
            return json_response({"meta": body["meta"]})
        if method == "DELETE":
            if not await keyvalues.remove(s, table, snap.id, key):
                raise NotFound(f"Metadata item was not found: {key}")
            return empty(200)
        found = await keyvalues.read(s, table, snap.id)
    if key not in found:
        raise NotFound(f"Metadata item was not found: {key}")
    return json_response({"meta": {key: found[key]}})
