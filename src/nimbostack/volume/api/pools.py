"""``/scheduler-stats/get_pools`` (admin): each backend's pool and its last report."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from nimbostack.core.api.request import ApiRequest
from nimbostack.core.api.responses import json_response
from nimbostack.volume.objects import services
from nimbostack.volume.state import state_of


def _capabilities(report: dict[str, Any]) -> dict[str, Any]:
    return {
        "pool_name": report.get("pool"),
        "volume_backend_name": report.get("backend_name"),
        "storage_protocol": report.get("driver"),
        "vendor_name": "Nimbostack",
        "driver_version": "1.0",
        "total_capacity_gb": report.get("total_capacity_gb"),
        "free_capacity_gb": report.get("free_capacity_gb"),
        "allocated_capacity_gb": report.get("provisioned_capacity_gb"),
        "provisioned_capacity_gb": report.get("provisioned_capacity_gb"),
        "max_over_subscription_ratio": report.get("max_over_subscription_ratio"),
        "reserved_percentage": report.get("reserved_percentage"),
        "thin_provisioning_support": report.get("thin_provisioning_support"),
        "thick_provisioning_support": report.get("thick_provisioning_support"),
        "multiattach": report.get("multiattach"),
        "online_extend_support": report.get("online_extend"),
        "QoS_support": False,
        "timestamp": report.get("reported_at"),
    }


async def list_pools(req: ApiRequest) -> Response:
    state = state_of(req)
    req.enforce("scheduler_extension:scheduler_stats:get_pools")
    async with state.db.reader() as s:
        rows = await services.listing(s, host=None, binary=services.VOLUME)
    detail = req.query_bool("detail")
    pools = []
    for svc in rows:
        report = svc.capabilities or {}
        if not report.get("pool"):
            continue
        pool: dict[str, Any] = {"name": f"{svc.host}#{report['pool']}"}
        if detail:
            pool["capabilities"] = _capabilities(report)
        pools.append(pool)
    return json_response({"pools": pools})
