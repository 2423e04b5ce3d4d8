"""One server: show, update, delete, force-delete."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from starlette.responses import Response

from nimbostack.compute.api import action_guard, boot_volumes, server_security_groups
from nimbostack.compute.api.action_guard import Transition
from nimbostack.compute.api.deps import ApiState, state_of
from nimbostack.compute.api.server_create import sanitize_hostname
from nimbostack.compute.api.server_create_schema import HOSTNAME, NAME
from nimbostack.compute.api.server_lookup import load_server, target, viewer
from nimbostack.compute.api.views import servers as views
from nimbostack.compute.db.models import Instance, ServerGroup
from nimbostack.compute.messages import TerminateInstance
from nimbostack.compute.objects import actions, block_devices, instance_queries, server_groups
from nimbostack.core.api.microversion import Version
from nimbostack.core.api.request import ApiRequest
from nimbostack.core.api.responses import empty, json_response


async def groups_of(state: ApiState, instance: Instance) -> list[str]:
    async with state.db.session() as s:
        rows = await s.scalars(
            select(ServerGroup).where(ServerGroup.project_id == instance.project_id)
        )
        return [g.uuid for g in rows if instance.uuid in (g.members or [])]


async def render(
    req: ApiRequest, state: ApiState, instance: Instance, view: Any = views.full
) -> dict[str, Any]:
    """The server as ``view`` shows it (the show view, or the rebuild one)."""
    faults = await instance_queries.latest_faults(state.db, [instance.uuid])
    groups = await groups_of(state, instance)
    see = viewer(req)
    body = dict(view(see, instance, faults.get(instance.uuid), groups))
    if views.VOLUMES_ATTACHED in body:
        async with state.db.session() as s:
            found = await block_devices.volumes_by_instance(s, [instance.uuid])
        body[views.VOLUMES_ATTACHED] = views.volumes_attached(see, found.get(instance.uuid, []))
    return body


async def show_server(req: ApiRequest) -> Response:
    state = state_of(req)
    instance = await load_server(req, state)
    req.enforce("os_compute_api:servers:show", target(instance))
    body = await render(req, state, instance)
    if "security_groups" in body:  # the groups its ports have now
        body["security_groups"] = await server_security_groups.names_of(req, state, instance)
    return json_response({"server": body})


def _update_schema(version: Version) -> dict[str, Any]:
    props: dict[str, Any] = {
        "name": NAME,
        "accessIPv4": {"type": "string", "format": "ipv4"},
        "accessIPv6": {"type": "string", "format": "ipv6"},
        "OS-DCF:diskConfig": {"enum": ["AUTO", "MANUAL"]},
    }
    if version.matches("2.19"):
        props["description"] = {"type": ["string", "null"], "maxLength": 255}
    if version.matches("2.90"):
        props["hostname"] = HOSTNAME
    return {
        "type": "object",
        "properties": {
            "server": {"type": "object", "properties": props, "additionalProperties": False}
        },
        "required": ["server"],
        "additionalProperties": False,
    }


async def update_server(req: ApiRequest) -> Response:
    state = state_of(req)
    instance = await load_server(req, state)
    req.enforce("os_compute_api:servers:update", target(instance))
    body = await req.json(_update_schema(req.version or Version(2, 1)))
    fields = body["server"]
    names = {
        "name": "display_name",
        "description": "description",
        "hostname": "hostname",
        "accessIPv4": "access_ip_v4",
        "accessIPv6": "access_ip_v6",
    }
    values = {names[k]: v for k, v in fields.items() if k in names}
    async with state.db.session() as s:
        row = await s.get(Instance, instance.uuid)
        assert row is not None
        for key, value in values.items():
            setattr(row, key, value)
        if "hostname" in values:
            row.hostname = sanitize_hostname(values["hostname"])
        instance = row
    return json_response({"server": await render(req, state, instance, views.updated)})


DELETE = Transition("delete", None, None, task_state="deleting")


async def delete_server(req: ApiRequest) -> Response:
    state = state_of(req)
    instance = await load_server(req, state)
    req.enforce("os_compute_api:servers:delete", target(instance))
    await _delete(req, state, instance, DELETE)
    return empty(204)


async def _delete(req: ApiRequest, state: ApiState, instance: Instance, how: Transition) -> None:
    """Delete the records of a server no host has taken, or have its host destroy it."""
    action_guard.check(req, instance, how)
    if instance.host is None:
        await _delete_locally(req, state, instance)
        return
    await action_guard.begin(req, state, instance, DELETE)
    msg = TerminateInstance(instance.uuid, req.context.request_id)
    await state.rpc.cast_agent(req.context, instance.host, msg)


async def _delete_locally(req: ApiRequest, state: ApiState, instance: Instance) -> None:
    """A server no host has taken yet: its records, and the volumes reserved for it."""
    async with state.db.session() as s:
        row = await s.get(Instance, instance.uuid)
        if row is None or row.deleted:
            return
        await actions.start_action(s, req.context, instance.uuid, "delete")
        instance_queries.mark_deleted(row)
        await server_groups.remove_member(s, row.project_id, row.uuid)
    await boot_volumes.release(req, state, instance.uuid)


FORCE_DELETE = Transition("forceDelete", ("soft-delete",), None, task_state="deleting")


async def force_delete(req: ApiRequest, instance: Instance, body: Any) -> Response:
    """Delete a soft-deleted server now (its rule is checked by the action dispatch)."""
    await _delete(req, state_of(req), instance, FORCE_DELETE)
    return empty(204)
