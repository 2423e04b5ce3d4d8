"""Moves: resize with confirm/revert, cold migrate, live migrate, evacuate."""

from __future__ import annotations

import time
from typing import Any

from starlette.responses import Response

from nimbostack.compute import quota_limits
from nimbostack.compute import states as st
from nimbostack.compute.api import action_guard, admin_pass, boot_volumes, server_refs
from nimbostack.compute.api.action_guard import Transition
from nimbostack.compute.api.deps import ApiState, compute_conf, state_of
from nimbostack.compute.api.server_actions_power import cast
from nimbostack.compute.db.models import Instance
from nimbostack.compute.messages import (
    ConfirmResize,
    EvacuateInstance,
    LiveMigrateInstance,
    MigrateInstance,
    RevertResize,
)
from nimbostack.compute.objects import migrations, services
from nimbostack.core.api.microversion import Version
from nimbostack.core.api.request import ApiRequest
from nimbostack.core.api.responses import empty, json_response
from nimbostack.core.errors import ApiError, BadRequest, Conflict, NotFound

RESIZE = Transition("resize", (st.ACTIVE, st.STOPPED), task_state=st.RESIZE_PREP)
MIGRATE = Transition("migrate", (st.ACTIVE, st.STOPPED), task_state=st.RESIZE_PREP)
CONFIRM = Transition("confirmResize", (st.RESIZED,), record="confirmResize")
REVERT = Transition("revertResize", (st.RESIZED,), task_state=st.RESIZE_REVERTING)
LIVE = Transition("os-migrateLive", (st.ACTIVE, st.PAUSED), task_state=st.MIGRATING)
EVACUATE = Transition("evacuate", (st.ACTIVE, st.STOPPED, st.ERROR), task_state=st.REBUILDING)


def _version(req: ApiRequest) -> Version:
    return req.version or Version(2, 1)


async def resize(req: ApiRequest, instance: Instance, body: Any) -> Response:
    state = state_of(req)
    action_guard.check(req, instance, RESIZE)
    boot_volumes.refuse_volume_backed(instance, "resize")
    new = await server_refs.flavor(req, state, body["flavorRef"])
    current = instance.flavor or {}
    if str(new["flavorid"]) == str(current.get("flavorid")):
        raise BadRequest("When resizing, instances must change flavor!")
    if int(new["root_gb"]) == 0 and int(current.get("root_gb", 0)) != 0:
        raise BadRequest("Resize to zero disk flavor is not allowed.")
    if int(new["root_gb"]) < int(current.get("root_gb", 0)):
        raise BadRequest("Resize would shrink the root disk; that is not supported.")
    grow = {
        "vcpus": max(0, int(new["vcpus"]) - int(current.get("vcpus", 0))),
        "memory_mb": max(0, int(new["memory_mb"]) - int(current.get("memory_mb", 0))),
    }
    async with state.db.session() as s:
        project = req.context.project_id or ""
        limits = await quota_limits.limits(state.db, compute_conf(state), project)
        limits["instances"] = -1
        await quota_limits.fitting_count(s, limits, instance.project_id, 1, 1, flavor=grow)
    await action_guard.begin(req, state, instance, RESIZE)
    msg = MigrateInstance(instance.uuid, req.context.request_id, flavor=new)
    await state.rpc.cast_conductor(req.context, msg)
    return empty(202)


async def _awaiting(state: ApiState, instance: Instance) -> Any:
    async with state.db.session() as s:
        found = await migrations.in_progress(s, instance.uuid)
    if found is None:
        raise BadRequest(f"Instance {instance.uuid} has no resize awaiting confirmation.")
    return found


async def confirm_resize(req: ApiRequest, instance: Instance, body: Any) -> Response:
    state = state_of(req)
    action_guard.check(req, instance, CONFIRM)
    migration = await _awaiting(state, instance)
    await action_guard.begin(req, state, instance, CONFIRM)
    source = migration.source_compute or instance.host
    msg = ConfirmResize(instance.uuid, req.context.request_id, migration.uuid)
    await cast(req, instance, msg, host=source)
    return empty(204)


async def revert_resize(req: ApiRequest, instance: Instance, body: Any) -> Response:
    state = state_of(req)
    action_guard.check(req, instance, REVERT)
    migration = await _awaiting(state, instance)
    await action_guard.begin(req, state, instance, REVERT)
    dest = migration.dest_compute or instance.host or ""
    msg = RevertResize(instance.uuid, migration.uuid, req.context.request_id)
    await state.rpc.cast_agent(req.context, dest, msg)
    return empty(202)


async def check_destination(
    state: ApiState, instance: Instance, host: str | None, missing: type[ApiError] = BadRequest
) -> None:
    """A named destination must be a known compute host other than the server's own."""
    if host is None:
        return
    async with state.db.session() as s:
        known = await services.by_host(s)
    if host not in known:
        raise missing(f"Compute host {host} could not be found.")
    if host == instance.host:
        raise BadRequest(f"Unable to migrate instance ({instance.uuid}) to current host ({host}).")


async def migrate(req: ApiRequest, instance: Instance, body: Any) -> Response:
    state = state_of(req)
    host = None
    if body is not None:
        if not _version(req).matches("2.56") and body != {}:
            raise BadRequest("Invalid input for field 'migrate': must be null or empty")
        host = body.get("host")
    action_guard.check(req, instance, MIGRATE)
    boot_volumes.refuse_volume_backed(instance, "migrate")
    await check_destination(state, instance, host)
    await action_guard.begin(req, state, instance, MIGRATE)
    msg = MigrateInstance(instance.uuid, req.context.request_id, host=host)
    await state.rpc.cast_conductor(req.context, msg)
    return empty(202)


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).lower()
    if text not in ("true", "false", "auto", "1", "0"):
        raise BadRequest(f"Invalid boolean value {value!r}")
    return text in ("true", "1")


async def live_migrate(req: ApiRequest, instance: Instance, body: Any) -> Response:
    state = state_of(req)
    block = _flag(body.get("block_migration", "auto"))
    action_guard.check(req, instance, LIVE)
    boot_volumes.refuse_volume_backed(instance, "os-migrateLive")
    await check_destination(state, instance, body.get("host"))
    await action_guard.begin(req, state, instance, LIVE)
    msg = LiveMigrateInstance(
        instance.uuid, req.context.request_id, host=body.get("host"), block_migration=block
    )
    await state.rpc.cast_conductor(req.context, msg)
    return empty(202)


async def _source_is_down(state: ApiState, instance: Instance) -> None:
    async with state.db.session() as s:
        rows = await services.by_host(s)
    row = rows.get(instance.host or "")
    down_after = float(compute_conf(state).service_down_time)
    if row is not None and services.is_up(row, down_after, time.time()):
        raise Conflict(f"Compute service of {instance.host} is still in use.")


async def evacuate(req: ApiRequest, instance: Instance, body: Any) -> Response:
    state = state_of(req)
    action_guard.check(req, instance, EVACUATE)
    boot_volumes.refuse_volume_backed(instance, "evacuate")
    await check_destination(state, instance, body.get("host"), NotFound)
    await _source_is_down(state, instance)
    await action_guard.begin(req, state, instance, EVACUATE)
    shared = _flag(body.get("onSharedStorage", True))
    conf = compute_conf(state)
    # The guest is built again on its new host, with a new config drive.
    drive = admin_pass.has_config_drive(conf, instance.config_drive)
    password = admin_pass.for_guest(conf, body.get("adminPass"), drive)
    msg = EvacuateInstance(
        instance.uuid,
        req.context.request_id,
        host=body.get("host"),
        on_shared_storage=shared,
        admin_pass=password,
    )
    await state.rpc.cast_conductor(req.context, msg)
    if _version(req).matches("2.14") or not admin_pass.shown(conf, password):
        return empty(200)
    return json_response({"adminPass": password})


ACTIONS: dict[str, Any] = {
    "resize": resize,
    "confirmResize": confirm_resize,
    "revertResize": revert_resize,
    "migrate": migrate,
    "os-migrateLive": live_migrate,
    "evacuate": evacuate,
}
