"""``/os-availability-zone``: the zones of this cloud's volume services."""

from __future__ import annotations

import time

from starlette.responses import Response

from nimbostack.core.api.request import ApiRequest
from nimbostack.core.api.responses import json_response
from nimbostack.volume.objects import services
from nimbostack.volume.state import state_of


async def list_availability_zones(req: ApiRequest) -> Response:
    state = state_of(req)
    async with state.db.reader() as s:
        rows = await services.listing(s, host=None, binary=services.VOLUME)
    down, now = float(state.options.service_down_time), time.time()
    zones: dict[str, bool] = {}
    for svc in rows:
        alive = services.is_up(svc, down, now) and not svc.disabled
        zones[svc.availability_zone] = zones.get(svc.availability_zone, False) or alive
    found = [
        {"zoneName": name, "zoneState": {"available": ok}} for name, ok in sorted(zones.items())
    ]
    return json_response({"availabilityZoneInfo": found})
