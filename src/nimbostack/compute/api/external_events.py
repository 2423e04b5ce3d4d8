"""``os-server-external-events``: other services (network, volume) report instance events."""

from __future__ import annotations

import logging
from typing import Any

from starlette.responses import Response

from nimbostack.compute.api.deps import ApiState, state_of
from nimbostack.compute.db.models import Instance
from nimbostack.compute.messages import ExternalEvent
from nimbostack.compute.objects import actions, instance_queries, migrations
from nimbostack.core.api.microversion import Version
from nimbostack.core.api.request import ApiRequest
from nimbostack.core.api.responses import json_response
from nimbostack.core.errors import NotFound

LOG = logging.getLogger(__name__)
# Statuses of a move that is under way (a finished resize awaits confirm or revert).
_MOVING = (
    "pre-migrating",
    "accepted",
    "migrating",
    "post-migrating",
    "running",
    "reverting",
    "preparing",
    "queued",
)
NAMES = [
    "network-changed",
    "network-vif-plugged",
    "network-vif-unplugged",
    "network-vif-deleted",
    "volume-extended",
]


def _names(version: Version) -> list[str]:
    found = list(NAMES)
    if version.matches("2.76"):
        found.append("power-update")
    if version.matches("2.82"):
        found.append("accelerator-request-bound")
    return found


def _schema(version: Version) -> dict[str, Any]:
    event = {
        "type": "object",
        "properties": {
            "server_uuid": {"type": "string", "format": "uuid"},
            "name": {"enum": _names(version)},
            "status": {"enum": ["failed", "completed", "in-progress"]},
            "tag": {"type": "string", "maxLength": 255},
        },
        "required": ["server_uuid", "name"],
        "additionalProperties": False,
    }
    return {
        "type": "object",
        "properties": {"events": {"type": "array", "items": event, "minItems": 1}},
        "required": ["events"],
        "additionalProperties": False,
    }


async def _deliver(req: ApiRequest, state: ApiState, event: dict[str, Any]) -> dict[str, Any]:
    result = {**event, "status": event.get("status", "completed")}
    instance = await instance_queries.find(state.db, event["server_uuid"], None)
    if instance is None:
        return {**result, "code": 404}
    if not instance.host:
        return {**result, "code": 422}
    if event["name"] == "power-update":
        async with state.db.session() as s:
            await actions.start_action(s, req.context, instance.uuid, "power-update")
    msg = ExternalEvent(instance.uuid, event["name"], event.get("tag"), result["status"])
    for host in await _hosts(state, instance):
        await state.rpc.cast_agent(req.context, host, msg)
    return {**result, "code": 200}


async def _hosts(state: ApiState, instance: Instance) -> list[str]:
    """Where the event goes: the server's host and, while it moves, both ends of the
    move (the destination waits for its ports' events before the server is its)."""
    hosts = [str(instance.host)]
    if instance.task_state is None:
        return hosts
    async with state.db.session() as s:
        moving = await migrations.in_progress(s, instance.uuid, _MOVING)
    for host in (moving.source_compute, moving.dest_compute) if moving else ():
        if host and host not in hosts:
            hosts.append(host)
    return hosts


async def create_events(req: ApiRequest) -> Response:
    state = state_of(req)
    req.enforce("os_compute_api:os-server-external-events:create")
    body = await req.json(_schema(req.version or Version(2, 1)))
    results = [await _deliver(req, state, event) for event in body["events"]]
    if all(r["code"] == 404 for r in results):
        raise NotFound("No instances found for any event")
    status = 200 if all(r["code"] == 200 for r in results) else 207
    return json_response({"events": results}, status)
