"""The network topology: the project's networks (and the external ones), routers and
instances, drawn as SVG on the server."""

from __future__ import annotations

import asyncio

from starlette.responses import Response

from nimbostack.dashboard import topology
from nimbostack.dashboard.views.netcommon import external_networks, mine, server_names
from nimbostack.dashboard.web import Page


async def show_topology(page: Page) -> Response:
    net = page.apis.network
    owned, external, subnets, routers, ports, servers = await asyncio.gather(
        net.every("networks", **mine(page)),
        external_networks(page),
        net.every("subnets", **mine(page)),
        net.every("routers", **mine(page)),
        net.every("ports", **mine(page)),
        server_names(page),
    )
    seen = {str(n["id"]) for n in owned}
    networks = owned + [n for n in external if str(n["id"]) not in seen]
    drawing = topology.layout(networks, subnets, routers, ports, servers)
    return page.render("networks/topology.html", drawing=drawing)
