"""``/backups``: create (full or incremental, of a volume or a snapshot), list, show,
update, delete, restore (to an existing volume or a new one) and the admin actions."""

from __future__ import annotations

import time
import uuid
from typing import Any

from starlette.responses import Response

from nimbostack.core.api.request import ApiRequest, validate
from nimbostack.core.api.responses import empty, json_response
from nimbostack.core.errors import BadRequest
from nimbostack.volume import states
from nimbostack.volume.api import microversions as mv
from nimbostack.volume.api.restore_new import restore_to_new_volume
from nimbostack.volume.api.schemas import BOOLEAN, DESCRIPTION, KEY_VALUES, NAME, obj, wrapped
from nimbostack.volume.api.scope import (
    as_bool,
    at_least,
    check_filters,
    links,
    list_project,
    next_link,
    project_of,
    timestamp,
)
from nimbostack.volume.db.models import Backup, Snapshot, Volume
from nimbostack.volume.messages import CreateBackup, DeleteBackup, RestoreBackup
from nimbostack.volume.objects import attachments, backups, paging, quotas, snapshots, volumes
from nimbostack.volume.rpcapi import backend_of
from nimbostack.volume.state import state_of

CREATE = wrapped(
    "backup",
    obj(
        {
            "volume_id": {"type": "string", "format": "uuid"},
            "container": {"type": ["string", "null"], "maxLength": 255},
            "name": NAME,
            "description": DESCRIPTION,
            "incremental": BOOLEAN,
            "force": BOOLEAN,
            "snapshot_id": {"type": ["string", "null"], "format": "uuid"},
            "metadata": {**KEY_VALUES, "type": ["object", "null"]},
            "availability_zone": {"type": ["string", "null"], "maxLength": 255},
        },
        ["volume_id"],
    ),
)
UPDATE = wrapped("backup", obj({"name": NAME, "description": DESCRIPTION, "metadata": KEY_VALUES}))
RESTORE = wrapped(
    "restore",
    obj({"volume_id": {"type": ["string", "null"], "format": "uuid"}, "name": NAME}, extra=True),
)
RESET = obj({"status": {"type": "string", "enum": list(states.BACKUP_STATUSES)}}, ["status"])


def _target(backup: Backup) -> dict[str, Any]:
    return {"project_id": backup.project_id}


def summary(req: ApiRequest, b: Backup) -> dict[str, Any]:
    return {"id": b.id, "name": b.name, "links": links(req, "backups", b.id)}


def detail(req: ApiRequest, b: Backup, dependents: int) -> dict[str, Any]:
    body: dict[str, Any] = {
        **summary(req, b),
        "status": b.status,
        "size": b.size,
        "object_count": b.object_count,
        "availability_zone": b.availability_zone,
        "container": b.container,
        "created_at": timestamp(b.created_at),
        "updated_at": timestamp(b.updated_at),
        "description": b.description,
        "fail_reason": b.fail_reason,
        "volume_id": b.volume_id,
        "is_incremental": b.is_incremental,
        "has_dependent_backups": dependents > 0,
        "snapshot_id": b.snapshot_id,
        "data_timestamp": timestamp(b.data_timestamp),
    }
    if at_least(req, mv.BACKUP_PROJECT) and req.allowed("backup:backup_project_attribute"):
        body["os-backup-project-attr:project_id"] = b.project_id
    if at_least(req, mv.BACKUP_METADATA):
        body["metadata"] = dict(b.metadata_ or {})
    if at_least(req, mv.BACKUP_USER_ID):
        body["user_id"] = b.user_id
    return body


async def create_backup(req: ApiRequest) -> Response:
    state = state_of(req)
    wanted = (await req.json(CREATE))["backup"]
    force = as_bool(wanted.get("force", False), "force")
    incremental = as_bool(wanted.get("incremental", False), "incremental")
    async with state.db.session() as s:
        volume = await volumes.get(s, req.context, wanted["volume_id"])
        req.enforce("backup:create", {"project_id": volume.project_id})
        await attachments.lock_volume(s, volume.id)
        snap = await _snapshot(s, req, wanted.get("snapshot_id"), volume)
        await _hold_source(s, volume, snap, force)
        parent = await backups.latest_of_volume(s, volume.id) if incremental else None
        wanted_quota = {"backups": 1, "backup_gigabytes": volume.size}
        await quotas.check(s, state.options, volume.project_id, wanted_quota, None)
        backup = _record(req, wanted, volume, snap, parent)
        s.add(backup)
    await state.rpc.cast_manager(req.context, str(volume.host), CreateBackup(backup.id))
    return json_response({"backup": summary(req, backup)}, 202)


async def _snapshot(
    s: Any, req: ApiRequest, snapshot_id: str | None, volume: Volume
) -> Snapshot | None:
    if not snapshot_id:
        return None
    snap = await snapshots.get(s, req.context, snapshot_id)
    if snap.volume_id != volume.id:
        raise BadRequest(f"Invalid snapshot: Snapshot {snap.id} is not of volume {volume.id}.")
    return snap


async def _hold_source(s: Any, volume: Volume, snap: Snapshot | None, force: bool) -> None:
    """The volume (or snapshot) goes to backing-up: nothing else starts on it meanwhile."""
    if snap is not None:
        held = await snapshots.transition(
            s, snap.id, [states.SNAP_AVAILABLE], {"status": states.SNAP_BACKING_UP}
        )
        if not held:
            raise BadRequest(
                f"Invalid snapshot: Snapshot to be backed up must be available, "
                f'but the current status is "{snap.status}".'
            )
        return
    expected = [states.AVAILABLE] + ([states.IN_USE] if force else [])
    values = {"status": states.BACKING_UP, "previous_status": volume.status}
    if not await volumes.transition(s, volume.id, expected, values):
        wanted = "available or in-use" if force else "available"
        raise BadRequest(
            f"Invalid volume: Volume to be backed up must be {wanted}, but the "
            f'current status is "{volume.status}".'
        )


def _record(
    req: ApiRequest,
    wanted: dict[str, Any],
    volume: Volume,
    snap: Snapshot | None,
    parent: Backup | None,
) -> Backup:
    now = time.time()
    backup_id = str(uuid.uuid4())
    return Backup(
        id=backup_id,
        project_id=volume.project_id,
        user_id=req.context.user_id or "",
        volume_id=volume.id,
        snapshot_id=snap.id if snap else None,
        name=wanted.get("name"),
        description=wanted.get("description"),
        status=states.BACKUP_CREATING,
        size=volume.size,
        object_count=0,
        container=wanted.get("container") or f"{backup_id[:2]}/{backup_id}",
        availability_zone=volume.availability_zone,
        host=backend_of(str(volume.host or "")),
        parent_id=parent.id if parent else None,
        is_incremental=parent is not None,
        data_timestamp=snap.created_at if snap else now,
        metadata_=dict(wanted.get("metadata") or {}),
        created_at=now,
        updated_at=now,
    )


async def show_backup(req: ApiRequest) -> Response:
    state = state_of(req)
    async with state.db.reader() as s:
        backup = await backups.get(s, req.context, req.param("backup_id"))
        req.enforce("backup:get", _target(backup))
        dependents = await backups.dependents(s, [backup.id])
    return json_response({"backup": detail(req, backup, dependents.get(backup.id, 0))})


async def _list(req: ApiRequest, detailed: bool) -> Response:
    check_filters(req, "backup", mv.LIST_PARAMS)
    state = state_of(req)
    req.enforce("backup:get_all", {"project_id": project_of(req)})
    query = req.query
    exact = {k: query[k] for k in ("name", "status", "volume_id") if k in query}
    keys = paging.parse_sort(
        query.get("sort"),
        query.get("sort_key"),
        query.get("sort_dir"),
        backups.SORT_COLUMNS,
        Backup.id,
    )
    limit = paging.parse_limit(query.get("limit"))
    with_count = at_least(req, mv.SUPPORT_COUNT_INFO) and req.query_bool("with_count")
    async with state.db.reader() as s:
        rows, total = await backups.list_page(
            s,
            project_id=list_project(req),
            exact=exact,
            keys=keys,
            marker=query.get("marker"),
            limit=limit,
            with_count=with_count,
        )
        found = await backups.dependents(s, [r.id for r in rows]) if detailed else {}
    items = [detail(req, r, found.get(r.id, 0)) if detailed else summary(req, r) for r in rows]
    body: dict[str, Any] = {"backups": items}
    if link := next_link(
        req, "backups/detail" if detailed else "backups", rows, limit, "limit" in query
    ):
        body["backups_links"] = link
    if total is not None:
        body["count"] = total
    return json_response(body)


async def list_backups(req: ApiRequest) -> Response:
    return await _list(req, detailed=False)


async def list_backups_detail(req: ApiRequest) -> Response:
    return await _list(req, detailed=True)


async def update_backup(req: ApiRequest) -> Response:
    if not at_least(req, mv.BACKUP_UPDATE):
        raise BadRequest("Updating a backup needs microversion 3.9 or later.")
    state = state_of(req)
    wanted = (await req.json(UPDATE))["backup"]
    async with state.db.session() as s:
        backup = await backups.get(s, req.context, req.param("backup_id"))
        req.enforce("backup:update", _target(backup))
        for key in ("name", "description"):
            if key in wanted:
                setattr(backup, key, wanted[key])
        if "metadata" in wanted and at_least(req, mv.BACKUP_METADATA):
            backup.metadata_ = {**(backup.metadata_ or {}), **wanted["metadata"]}
        backup.updated_at = time.time()
        dependents = await backups.dependents(s, [backup.id])
    return json_response({"backup": detail(req, backup, dependents.get(backup.id, 0))})


async def delete_backup(req: ApiRequest) -> Response:
    state = state_of(req)
    async with state.db.session() as s:
        backup = await backups.get(s, req.context, req.param("backup_id"))
        req.enforce("backup:delete", _target(backup))
        await _start_delete(s, backup, force=False)
    await state.rpc.cast_manager(req.context, str(backup.host), DeleteBackup(backup.id))
    return empty(202)


async def _start_delete(s: Any, backup: Backup, *, force: bool) -> None:
    if (await backups.dependents(s, [backup.id])).get(backup.id):
        raise BadRequest("Invalid backup: Incremental backups exist for this backup.")
    expected = [states.BACKUP_AVAILABLE, states.BACKUP_ERROR, states.BACKUP_ERROR_DELETING]
    if force:
        expected.append(states.BACKUP_CREATING)
    if not await backups.transition(s, backup.id, expected, {"status": states.BACKUP_DELETING}):
        raise BadRequest(
            f"Invalid backup: Backup status must be available or error, but it is {backup.status}."
        )


async def restore_backup(req: ApiRequest) -> Response:
    state = state_of(req)
    wanted = (await req.json(RESTORE))["restore"]
    async with state.db.reader() as s:
        backup = await backups.get(s, req.context, req.param("backup_id"))
    req.enforce("backup:restore", _target(backup))
    if not wanted.get("volume_id"):
        return await restore_to_new_volume(req, state, backup, wanted.get("name"))
    async with state.db.session() as s:
        volume = await volumes.get(s, req.context, wanted["volume_id"])
        if volume.size < backup.size:
            raise BadRequest(
                f"Invalid volume: volume size {volume.size} is too small to "
                f"restore backup of size {backup.size}."
            )
        values = {"status": states.BACKUP_RESTORING, "restore_volume_id": volume.id}
        if not await backups.transition(s, backup.id, [states.BACKUP_AVAILABLE], values):
            raise BadRequest(
                f"Invalid backup: Backup status must be available, but it is {backup.status}."
            )
        held = await volumes.transition(
            s, volume.id, [states.AVAILABLE], {"status": states.RESTORING_BACKUP}
        )
        if not held:
            raise BadRequest(
                f"Invalid volume: Volume to be restored to must be available, "
                f"but it is {volume.status}."
            )
    await state.rpc.cast_manager(req.context, str(volume.host), RestoreBackup(backup.id, volume.id))
    answer = {"backup_id": backup.id, "volume_id": volume.id, "volume_name": volume.name}
    return json_response({"restore": answer}, 202)


async def backup_action(req: ApiRequest) -> Response:
    state = state_of(req)
    body = await req.json({"type": "object", "minProperties": 1, "maxProperties": 1})
    name, args = next(iter(body.items()))
    async with state.db.session() as s:
        backup = await backups.get(s, req.context, req.param("backup_id"))
        if name == "os-reset_status":
            req.enforce("volume_extension:backup_admin_actions:reset_status", _target(backup))
            validate(args, RESET)
            await backups.set_values(s, backup.id, {"status": args["status"]})
            return empty(202)
        if name != "os-force_delete":
            raise BadRequest(f"There is no such action: {name}")
        req.enforce("volume_extension:backup_admin_actions:force_delete", _target(backup))
        await _start_delete(s, backup, force=True)
    await state.rpc.cast_manager(req.context, str(backup.host), DeleteBackup(backup.id))
    return empty(202)
