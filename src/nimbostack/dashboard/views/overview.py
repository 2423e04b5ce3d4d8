"""The project overview: quota usage as charts and the recent actions."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from starlette.responses import Response

from nimbostack.dashboard.i18n import _
from nimbostack.dashboard.views.servers_view import row
from nimbostack.dashboard.web import Page

RECENT = 8


@dataclass(frozen=True)
class Usage:
    """One quota as a chart: what is used of what is allowed (-1: unlimited)."""

    label: str
    used: int
    limit: int
    unit: str = ""

    @property
    def percent(self) -> int:
        if self.limit <= 0:
            return 0
        return min(100, round(100 * self.used / self.limit))

    @property
    def level(self) -> str:
        return "bad" if self.percent >= 90 else "busy" if self.percent >= 70 else "ok"


def compute_usages(limits: dict[str, Any]) -> list[Usage]:
    return [
        Usage(
            _("Instances"),
            int(limits.get("totalInstancesUsed", 0)),
            int(limits.get("maxTotalInstances", -1)),
        ),
        Usage(
            _("vCPUs"), int(limits.get("totalCoresUsed", 0)), int(limits.get("maxTotalCores", -1))
        ),
        Usage(
            _("RAM"),
            int(limits.get("totalRAMUsed", 0)),
            int(limits.get("maxTotalRAMSize", -1)),
            "MiB",
        ),
        Usage(
            _("Server groups"),
            int(limits.get("totalServerGroupsUsed", 0)),
            int(limits.get("maxServerGroups", -1)),
        ),
    ]


async def overview(page: Page) -> Response:
    compute = page.apis.compute
    limits, servers = await asyncio.gather(
        compute.limits(), compute.list_servers(limit=RECENT, sort_key="updated_at")
    )
    recent: list[tuple[Any, dict[str, Any]]] = []
    actions = await asyncio.gather(*(compute.instance_actions(s["id"]) for s in servers))
    for server, found in zip(servers, actions, strict=True):
        recent += [(row(server, {}), action) for action in found[:3]]
    recent.sort(key=lambda item: str(item[1].get("start_time")), reverse=True)
    return page.render(
        "overview.html",
        usages=compute_usages(limits),
        recent=recent[:RECENT],
    )
