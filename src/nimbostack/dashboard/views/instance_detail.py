"""One instance: its details, actions and their events, request flow, console log and
the noVNC console."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any
from urllib.parse import urlsplit

from starlette.responses import HTMLResponse, Response

from nimbostack.clients.rest import RestError
from nimbostack.dashboard import flow
from nimbostack.dashboard.views import server_actions
from nimbostack.dashboard.views.servers_view import image_names, row
from nimbostack.dashboard.web import Page

LOG_LINES = 60


async def flavors_of(page: Page) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = await page.user.cached(
        "flavors", 30.0, page.apis.compute.list_flavors
    )
    return found


async def flow_for(page: Page, server_id: str, request_id: str | None) -> flow.Flow | None:
    """The diagram of ``request_id`` (None: the server's latest request), if traced."""
    try:
        doc = await page.apis.compute.server_trace(server_id, request_id)
    except RestError as exc:
        if exc.status in (403, 404):
            return None  # another cloud without the extension, or not allowed
        raise
    requests = doc.get("requests") or []
    if not requests:
        return None
    chosen = requests[-1]
    boot = chosen is requests[0]
    return flow.build(chosen, page.user.login_ms if boot else None)


async def show_instance(page: Page) -> Response:
    server_id = page.param("server_id")
    compute = page.apis.compute
    server = await compute.get_server(server_id)
    actions, names, flavors = await asyncio.gather(
        compute.instance_actions(server_id), image_names(page), flavors_of(page)
    )
    request_id = page.query("request") or (actions[0]["request_id"] if actions else None)
    events: list[dict[str, Any]] = []
    if request_id:
        with contextlib.suppress(RestError):
            events = (await compute.instance_action(server_id, request_id)).get("events", [])
    diagram = await flow_for(page, server_id, request_id)
    ports: list[dict[str, Any]] = []
    if page.apis.has("network"):
        ports = await page.apis.network.every("ports", device_id=server_id)
    return page.render(
        "instances/detail.html",
        server=server,
        view=row(server, names),
        offered=server_actions.offered(server, page.user.is_admin),
        actions=actions,
        request_id=request_id,
        events=events,
        flow=diagram,
        flavors=flavors,
        images=sorted(names.items(), key=lambda item: item[1]),
        live_request="" if page.query("request") else "latest",
        addresses=server.get("addresses") or {},
        ports=ports,
    )


async def console_log(page: Page) -> Response:
    """The tail of the serial console log, as a fragment."""
    lines = min(max(int(page.query("lines", str(LOG_LINES)) or LOG_LINES), 1), 1000)
    output = await page.apis.compute.console_output(page.param("server_id"), lines)
    return HTMLResponse(page.fragment("instances/_log.html", output=output))


async def console(page: Page) -> Response:
    """The noVNC console the compute API hands out, embedded in a page of ours."""
    server_id = page.param("server_id")
    server = await page.apis.compute.get_server(server_id)
    found = await page.apis.compute.remote_console(server_id)
    url = str(found["url"])
    parts = urlsplit(url)
    origin = f"{parts.scheme}://{parts.netloc}"
    response = page.render("instances/console.html", server=server, url=url)
    response.headers["X-Frame-Src"] = origin  # read by the security-headers layer
    return response
