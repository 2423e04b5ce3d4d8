"""Image actions: createImage (snapshot), rebuild, rescue, unrescue."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from nimbostack.compute import states as st
from nimbostack.compute.api import action_guard, admin_pass, server_refs, snapshots
from nimbostack.compute.api.action_guard import Transition
from nimbostack.compute.api.deps import compute_conf, state_of
from nimbostack.compute.api.server_actions_power import cast
from nimbostack.compute.api.server_create import sanitize_hostname
from nimbostack.compute.api.server_create_schema import HOSTNAME, METADATA, NAME
from nimbostack.compute.api.server_lookup import target, viewer
from nimbostack.compute.api.servers import render
from nimbostack.compute.api.views import servers as server_views
from nimbostack.compute.db.models import Instance
from nimbostack.compute.messages import RebuildInstance, RescueInstance, SnapshotInstance
from nimbostack.core.api.microversion import Version
from nimbostack.core.api.request import ApiRequest, validate
from nimbostack.core.api.responses import empty, json_response

P = "os_compute_api:"
SNAPSHOT = Transition(
    "createImage",
    (st.ACTIVE, st.STOPPED, st.PAUSED, st.SUSPENDED),
    task_state=st.IMAGE_SNAPSHOT_PENDING,
)
REBUILD = Transition("rebuild", (st.ACTIVE, st.STOPPED, st.ERROR), task_state=st.REBUILDING)
RESCUE = Transition("rescue", (st.ACTIVE, st.STOPPED, st.ERROR), task_state=st.RESCUING)
UNRESCUE = Transition("unrescue", (st.RESCUED,), task_state=st.UNRESCUING)
CREATE_IMAGE_SCHEMA = {
    "type": "object",
    "properties": {"name": NAME, "metadata": METADATA},
    "required": ["name"],
    "additionalProperties": False,
}


def _version(req: ApiRequest) -> Version:
    return req.version or Version(2, 1)


async def create_image(req: ApiRequest, instance: Instance, body: Any) -> Response:
    state = state_of(req)
    req.enforce(P + "servers:create_image", target(instance))
    validate(body, CREATE_IMAGE_SCHEMA)
    action_guard.check(req, instance, SNAPSHOT)
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


def _rebuild_schema(version: Version) -> dict[str, Any]:
    props: dict[str, Any] = {
        "imageRef": {"type": "string", "minLength": 1},
        "name": NAME,
        "adminPass": {"type": "string"},
        "metadata": METADATA,
        "preserve_ephemeral": {"type": "boolean"},
        "OS-DCF:diskConfig": {"enum": ["AUTO", "MANUAL"]},
        "accessIPv4": {"type": "string", "format": "ipv4"},
        "accessIPv6": {"type": "string", "format": "ipv6"},
    }
    if not version.matches("2.57"):
        props["personality"] = {"type": "array"}
    if version.matches("2.19"):
        props["description"] = {"type": ["string", "null"], "maxLength": 255}
    if version.matches("2.54"):
        props["key_name"] = {"type": ["string", "null"], "minLength": 1, "maxLength": 255}
    if version.matches("2.57"):
        props["user_data"] = {"type": ["string", "null"], "maxLength": 65535}
    if version.matches("2.63"):
        props["trusted_image_certificates"] = {"type": ["array", "null"]}
    if version.matches("2.90"):
        props["hostname"] = HOSTNAME
    return {
        "type": "object",
        "properties": props,
        "required": ["imageRef"],
        "additionalProperties": False,
    }


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
    req.enforce(P + "servers:rebuild", target(instance))
    validate(body, _rebuild_schema(_version(req)))
    action_guard.check(req, instance, REBUILD)
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


RESCUE_SCHEMA = {
    "type": ["object", "null"],
    "properties": {
        "adminPass": {"type": "string"},
        "rescue_image_ref": {"type": "string", "minLength": 1},
    },
    "additionalProperties": False,
}


async def rescue(req: ApiRequest, instance: Instance, body: Any) -> Response:
    state = state_of(req)
    req.enforce(P + "os-rescue", target(instance))
    validate(body, RESCUE_SCHEMA)
    body = body or {}
    action_guard.check(req, instance, RESCUE)
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
    req.enforce(P + "os-unrescue", target(instance))
    await action_guard.begin(req, state_of(req), instance, UNRESCUE)
    await cast(req, instance, "unrescue")
    return empty(202)


ACTIONS: dict[str, Any] = {
    "createImage": create_image,
    "rebuild": rebuild,
    "rescue": rescue,
    "unrescue": unrescue,
}
