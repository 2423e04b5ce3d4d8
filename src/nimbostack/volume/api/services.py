"""``/os-services`` (admin): the block storage processes, up or down, and disabling them."""

from __future__ import annotations

import time
from typing import Any

from starlette.responses import Response

from nimbostack.core.api.request import ApiRequest
from nimbostack.core.api.responses import json_response
from nimbostack.core.errors import BadRequest, NotFound
from nimbostack.volume.api.schemas import obj
from nimbostack.volume.api.scope import at_least, timestamp
from nimbostack.volume.db.models import Service
from nimbostack.volume.objects import services
from nimbostack.volume.state import state_of

UPDATE = obj(
    {
        "host": {"type": "string", "minLength": 1, "maxLength": 255},
        "binary": {"type": "string", "minLength": 1, "maxLength": 255},
        "disabled_reason": {"type": ["string", "null"], "maxLength": 255},
    },
    ["host", "binary"],
    extra=True,
)


def view(req: ApiRequest, svc: Service, down_time: float, now: float) -> dict[str, Any]:
    up = services.is_up(svc, down_time, now)
    body: dict[str, Any] = {
        "binary": svc.binary,
        "host": svc.host,
        "zone": svc.availability_zone,
        "status": "disabled" if svc.disabled else "enabled",
        "state": "up" if up else "down",
        "updated_at": timestamp(svc.updated_at),
        "disabled_reason": svc.disabled_reason,
    }
    if at_least(req, "3.7"):
        body["cluster"] = None
    if svc.binary == services.VOLUME:
        body["replication_status"] = "disabled"
        body["active_backend_id"] = None
        body["frozen"] = svc.frozen
        if at_least(req, "3.49"):
            body["backend_state"] = "up" if up else "down"
    return body


async def list_services(req: ApiRequest) -> Response:
    state = state_of(req)
    req.enforce("volume_extension:services:index")
    async with state.db.reader() as s:
        rows = await services.listing(s, host=req.query.get("host"), binary=req.query.get("binary"))
    down, now = float(state.options.service_down_time), time.time()
    return json_response({"services": [view(req, svc, down, now) for svc in rows]})


async def update_service(req: ApiRequest) -> Response:
    state = state_of(req)
    req.enforce("volume_extension:services:update")
    action = req.param("action")
    if action not in ("enable", "disable", "disable-log-reason"):
        raise BadRequest(f"Unknown action {action!r}.")
    body = await req.json(UPDATE)
    disabled = action != "enable"
    reason = body.get("disabled_reason") if action == "disable-log-reason" else None
    async with state.db.session() as s:
        svc = await services.set_disabled(s, body["host"], body["binary"], disabled, reason)
        if svc is None:
            raise NotFound(f"Service {body['binary']} on host {body['host']} could not be found.")
    answer = {
        "host": svc.host,
        "binary": svc.binary,
        "status": "disabled" if disabled else "enabled",
        "disabled": disabled,
        "disabled_reason": reason,
    }
    return json_response(answer)
