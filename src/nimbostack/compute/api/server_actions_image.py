"""Image actions: createImage (snapshot), rebuild, rescue, unrescue."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from nimbostack.compute import states as st
from nimbostack.compute.api import action_guard, admin_pass, boot_volumes, server_refs, snapshots
from nimbostack.compute.api.action_guard import Transition
from nimbostack.compute.api.deps import compute_conf, state_of
from nimbostack.compute.api.server_actions_power import cast
from nimbostack.compute.api.server_create import sanitize_hostname
from nimbostack.compute.api.server_lookup import target, viewer
from nimbostack.compute.api.servers import render
from nimbostack.compute.api.views import servers as server_views
from nimbostack.compute.db.models import Instance
from nimbostack.compute.messages import (
    RebuildInstance,
    RescueInstance,
    SnapshotInstance,
    UnrescueInstance,
)
from nimbostack.core.api.microversion import Version
from nimbostack.core.api.request import ApiRequest
from nimbostack.core.api.responses import empty, json_response

SNAPSHOT = Transition(
    "createImage",
    (st.ACTIVE, st.STOPPED, st.PAUSED, st.SUSPENDED),
    task_state=st.IMAGE_SNAPSHOT_PENDING,
)
REBUILD = Transition("rebuild", (st.ACTIVE, st.STOPPED, st.ERROR), task_state=st.REBUILDING)
RESCUE = Transition("rescue", (st.ACTIVE, st.STOPPED, st.ERROR), task_state=st.RESCUING)
UNRESCUE = Transition("unrescue", (st.RESCUED,), task_state=st.UNRESCUING)


def _version(req: ApiRequest) -> Version:
    return req.version or Version(2, 1)


async def create_image(req: ApiRequest, instance: Instance, body: Any) -> Response:
    state = state_of(req)
    action_guard.check(req, instance, SNAPSHOT)
    boot_volumes.refuse_volume_backed(instance, "createImage")
    image_id = await snapshots.queue_image(
        req, state, instance, body["name"], body.get("metadata") or {}
    )
    try:
        await action_guard.begin(req, state, instance, SNAPSHOT)
    except Exception:
        await snapshots.discard_image(req, state, image_id)
        raise
    msg = SnapshotInstance(instance.uuid, image_id, req.context.request_id)
    await state.rpc.cast_agent(req.context, instance.host or "", msg)
    if _version(req).matches("2.45"):
        return json_response({"image_id": image_id}, 202)
    location = viewer(req).links("images", image_id)[0]["href"]
    return empty(202, {"Location": location})


async def _rebuild_values(req: ApiRequest, instance: Instance, body: Any) -> dict[str, Any]:
    state = state_of(req)
    image = await server_refs.image(req, state, body["imageRef"], instance.flavor)
    values: dict[str, Any] = {"image_ref": image["id"]}
    renames = {
        "name": "display_name",
        "description": "description",
        "metadata": "metadata",
        "accessIPv4": "access_ip_v4",
        "accessIPv6": "access_ip_v6",
        "user_data": "user_data",
    }
    values.update({renames[k]: v for k, v in body.items() if k in renames})
    if "hostname" in body:
        values["hostname"] = sanitize_hostname(body["hostname"])
    if "key_name" in body:
        name, data = await server_refs.keypair(req, state, body["key_name"])
        values.update(key_name=name, key_data=data)
    return values


async def rebuild(req: ApiRequest, instance: Instance, body: Any) -> Response:
    state = state_of(req)
    if body.get("trusted_image_certificates"):
        req.enforce("os_compute_api:servers:rebuild:trusted_certs", target(instance))
    action_guard.check(req, instance, REBUILD)
    boot_volumes.refuse_volume_backed(instance, "rebuild")
    values = await _rebuild_values(req, instance, body)
    conf = compute_conf(state)
    drive = admin_pass.has_config_drive(conf, instance.config_drive)
    password = admin_pass.for_guest(conf, body.get("adminPass"), drive)
    await action_guard.begin(req, state, instance, REBUILD, values)
    msg = RebuildInstance(
        instance.uuid, values["image_ref"], req.context.request_id, admin_pass=password
    )
    await state.rpc.cast_agent(req.context, instance.host or "", msg)
    shown = await render(req, state, instance, server_views.rebuilt)
    if admin_pass.shown(conf, password):
        shown["adminPass"] = password
    return json_response({"server": shown}, 202)


async def rescue(req: ApiRequest, instance: Instance, body: Any) -> Response:
    state = state_of(req)
    body = body or {}
    action_guard.check(req, instance, RESCUE)
    boot_volumes.refuse_volume_backed(instance, "rescue")
    image_ref = instance.image_ref
    if body.get("rescue_image_ref"):
        image_ref = (
            await server_refs.image(req, state, body["rescue_image_ref"], instance.flavor)
        )["id"]
    await action_guard.begin(req, state, instance, RESCUE)
    msg = RescueInstance(instance.uuid, image_ref, req.context.request_id)
    await state.rpc.cast_agent(req.context, instance.host or "", msg)
    # The rescue system boots with the server's own config drive: no new password is
    # set, so none is answered (Nova's answer when it shows no password).
    return json_response({})


async def unrescue(req: ApiRequest, instance: Instance, body: Any) -> Response:
    await action_guard.begin(req, state_of(req), instance, UNRESCUE)
    await cast(req, instance, UnrescueInstance(instance.uuid, req.context.request_id))
    return empty(202)


ACTIONS: dict[str, Any] = {
    "createImage": create_image,
    "rebuild": rebuild,
    "rescue": rescue,
    "unrescue": unrescue,
}
