"""``os-availability-zone`` (+ ``/detail`` for admins): zones from aggregates and hosts."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from starlette.responses import Response

from nimbostack.compute.api.deps import ApiState, compute_conf, state_of
from nimbostack.compute.db.models import Service
from nimbostack.compute.objects import aggregates
from nimbostack.compute.objects import services as service_rows
from nimbostack.core.api.request import ApiRequest
from nimbostack.core.api.responses import json_response
from nimbostack.core.timeutil import iso


async def _zones(state: ApiState) -> tuple[dict[str, list[Service]], list[Service]]:
    """zone -> its compute services, and the internal (non-compute) services."""
    conf = compute_conf(state)
    host_zone = await aggregates.host_zones(state.db)
    async with state.db.session() as s:
        rows = list((await s.scalars(select(Service).order_by(Service.id))).all())
    zones: dict[str, list[Service]] = {}
    internal = []
    for row in rows:
        if row.binary != service_rows.COMPUTE:
            internal.append(row)
            continue
        zone = host_zone.get(row.host, str(conf.default_availability_zone))
        zones.setdefault(zone, []).append(row)
    for zone in await aggregates.availability_zones(state.db):
        zones.setdefault(zone, [])
    return zones, internal


def _available(state: ApiState, services: list[Service]) -> bool:
    down_after = float(compute_conf(state).service_down_time)
    return any(not s.disabled and service_rows.is_up(s, down_after) for s in services)


async def list_zones(req: ApiRequest) -> Response:
    state = state_of(req)
    req.enforce("os_compute_api:os-availability-zone:list", {"project_id": req.context.project_id})
    zones, _internal = await _zones(state)
    body = [
        {"zoneName": name, "zoneState": {"available": _available(state, rows)}, "hosts": None}
        for name, rows in sorted(zones.items())
        if rows
    ]
    return json_response({"availabilityZoneInfo": body})


def _hosts(state: ApiState, rows: list[Service]) -> dict[str, Any]:
    down_after = float(compute_conf(state).service_down_time)
    hosts: dict[str, Any] = {}
    for row in rows:
        hosts.setdefault(row.host, {})[row.binary] = {
            "available": service_rows.is_up(row, down_after),
            "active": not row.disabled,
            "updated_at": iso(row.updated_at, micro=True),
        }
    return hosts


async def list_zones_detail(req: ApiRequest) -> Response:
    state = state_of(req)
    req.enforce("os_compute_api:os-availability-zone:detail")
    zones, internal = await _zones(state)
    body = [
        {
            "zoneName": name,
            "zoneState": {"available": _available(state, rows)},
            "hosts": _hosts(state, rows) or None,
        }
        for name, rows in sorted(zones.items())
    ]
    if internal:
        body.append(
            {
                "zoneName": "internal",
                "zoneState": {"available": True},
                "hosts": _hosts(state, internal),
            }
        )
    return json_response({"availabilityZoneInfo": body})
