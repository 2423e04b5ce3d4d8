"""``os-instance_usage_audit_log``: the status of the periodic usage audit, per host.

We do not run Nova's monthly instance-usage audit task, so every compute host is
reported as not run for the audit period asked about: the honest answer, in the shape
clients expect (Nova answers the same when its audit is switched off).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from starlette.responses import Response

from nimbostack.compute.api.deps import state_of
from nimbostack.compute.db.models import Service
from nimbostack.compute.objects import services as service_rows
from nimbostack.core.api.request import ApiRequest
from nimbostack.core.api.responses import json_response
from nimbostack.core.errors import BadRequest

_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M:%S.%f")


def audit_period(before: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """The last whole calendar month that ended at or before ``before``."""
    end = before.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    start = (end - dt.timedelta(days=1)).replace(day=1)
    return start, end


def parse_before(text: str) -> dt.datetime:
    for fmt in _FORMATS:
        try:
            return dt.datetime.strptime(text, fmt)
        except ValueError:
            continue
    raise BadRequest(f"Invalid timestamp for date {text}")


async def _report(req: ApiRequest, before: dt.datetime) -> dict[str, Any]:
    async with state_of(req).db.session() as s:
        hosts = list(
            await s.scalars(
                select(Service.host).where(Service.binary == service_rows.COMPUTE).distinct()
            )
        )
    start, end = audit_period(before)
    return {
        "period_beginning": start.strftime("%Y-%m-%d %H:%M:%S"),
        "period_ending": end.strftime("%Y-%m-%d %H:%M:%S"),
        "num_hosts": len(hosts),
        "num_hosts_done": 0,
        "num_hosts_running": 0,
        "num_hosts_not_run": len(hosts),
        "hosts_not_run": sorted(hosts),
        "total_instances": 0,
        "total_errors": 0,
        "overall_status": f"0 of {len(hosts)} hosts done. 0 errors.",
        "log": {},
    }


async def list_audit_logs(req: ApiRequest) -> Response:
    req.enforce("os_compute_api:os-instance-usage-audit-log:list")
    report = await _report(req, dt.datetime.now(dt.UTC).replace(tzinfo=None))
    return json_response({"instance_usage_audit_logs": report})


async def show_audit_log(req: ApiRequest) -> Response:
    req.enforce("os_compute_api:os-instance-usage-audit-log:show")
    before = parse_before(req.param("before"))
    return json_response({"instance_usage_audit_log": await _report(req, before)})
