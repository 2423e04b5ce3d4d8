"""Live updates: one server-sent-event stream per browser tab.

A page names what it shows in its stream URL: the rows of a list
(``servers=id,id,...``) and/or one server's detail (``server=id``, with ``flow=latest``
to follow its newest request). The stream reads the APIs with the tab's session, at
``fast_tick`` while something is changing and ``slow_tick`` otherwise, and sends
``patch`` events, each the new HTML of one element: a list tick is one
``GET /servers/detail?changes-since=`` call for all the rows, a detail tick one
``GET /servers/{id}`` (plus ``os-trace`` while a request is in flight). When the
session ends the stream says ``expired`` and stops; the page then goes to the login.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from starlette.responses import Response, StreamingResponse

from nimbostack.clients.rest import RestError
from nimbostack.dashboard import i18n
from nimbostack.dashboard.views import server_actions
from nimbostack.dashboard.views.instance_detail import flavors_of, flow_for
from nimbostack.dashboard.views.servers_view import ServerRow, image_names, row
from nimbostack.dashboard.web import Page

MAX_WATCHED = 200
SETTLE = 3.0  # seconds a finished request's trace is still read: spans arrive late
KEEPALIVE = 15.0


def event(name: str, data: Any) -> str:
    return f"event: {name}\ndata: {json.dumps(data)}\n\n"


def _since(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Watch:
    """What one tab watches and what it was last sent."""

    rows: dict[str, tuple[str, ...] | None] = field(default_factory=dict)
    busy_rows: set[str] = field(default_factory=set)
    server: str = ""
    follow_flow: bool = False
    sent_detail: tuple[str, ...] | None = None
    sent_flow: tuple[int, str | None] | None = None
    settle_until: float = 0.0
    since: float = field(default_factory=time.time)


class Stream:
    """The loop behind one tab's event stream."""

    def __init__(self, page: Page, watch: Watch) -> None:
        self.page = page
        self.watch = watch
        self.busy = True

    def _fragment(self, template: str, **values: Any) -> str:
        return self.page.fragment(template, **values)

    async def _rows(self) -> list[str]:
        if not self.watch.rows:
            return []
        started = time.time()
        servers = await self.page.apis.compute.list_servers(
            **{"changes-since": _since(self.watch.since - 2.0)}
        )
        self.watch.since = started
        names = await image_names(self.page)
        out = []
        for server in servers:
            sid = str(server["id"])
            if sid not in self.watch.rows:
                continue
            view = row(server, names)
            if server.get("status") == "DELETED":
                out.append(event("remove", {"id": f"server-{sid}"}))
                del self.watch.rows[sid]
                self.watch.busy_rows.discard(sid)
                continue
            if self.watch.rows[sid] != view.signature:
                self.watch.rows[sid] = view.signature
                html = self._fragment("instances/_row.html", r=view)
                out.append(event("patch", {"id": f"server-{sid}", "html": html}))
            if view.busy:
                self.watch.busy_rows.add(sid)
            else:
                self.watch.busy_rows.discard(sid)
        self.busy = self.busy or bool(self.watch.busy_rows)
        return out

    async def _detail(self) -> list[str]:
        watch = self.watch
        if not watch.server:
            return []
        try:
            server = await self.page.apis.compute.get_server(watch.server)
        except RestError as exc:
            if exc.status == 404:
                watch.server = ""
                return [event("gone", {"id": watch.server})]
            raise
        names = await image_names(self.page)
        view = row(server, names)
        out: list[str] = []
        if view.signature != watch.sent_detail:
            # The first tick sends too: the server may have changed since the page was drawn.
            watch.sent_detail = view.signature
            watch.settle_until = time.time() + SETTLE
            out += await self._state(server, view, names)
        if view.busy:
            watch.settle_until = time.time() + SETTLE
        self.busy = self.busy or view.busy or time.time() < watch.settle_until
        if watch.follow_flow and time.time() < watch.settle_until:
            out += await self._flow()
        return out

    async def _state(
        self, server: dict[str, Any], view: ServerRow, names: dict[str, str]
    ) -> list[str]:
        """The status block and the action buttons the new state allows."""
        offered = server_actions.offered(server, self.page.user.is_admin)
        state = self._fragment("instances/_state.html", view=view)
        actions = self._fragment(
            "instances/_actions.html",
            view=view,
            offered=offered,
            server=server,
            flavors=await flavors_of(self.page),
            images=sorted(names.items(), key=lambda item: item[1]),
        )
        return [
            event("patch", {"id": "server-state", "html": state}),
            event("patch", {"id": "server-actions", "html": actions}),
        ]

    async def _flow(self) -> list[str]:
        diagram = await flow_for(self.page, self.watch.server, None)
        if diagram is None:
            return []
        mark = (len(diagram.hops), diagram.request_id)
        if mark == self.watch.sent_flow:
            return []
        self.watch.sent_flow = mark
        html = self._fragment("instances/_flow.html", flow=diagram)
        return [event("patch", {"id": "flow", "html": html})]

    async def run(self) -> AsyncIterator[str]:
        page = self.page
        settings = page.state.settings
        token = i18n.activate(page.language)
        last_sent = time.monotonic()
        try:
            yield event("hello", {"fast": settings.fast_tick})
            while True:
                if page.state.sessions.get(page.user.sid) is None:
                    yield event("expired", {})
                    return
                self.busy = False
                try:
                    batch = await self._rows() + await self._detail()
                except RestError as exc:
                    if exc.status == 401:
                        page.state.sessions.drop(page.user.sid)
                        yield event("expired", {})
                        return
                    batch = []
                if batch:
                    last_sent = time.monotonic()
                    yield "".join(batch)
                elif time.monotonic() - last_sent > KEEPALIVE:
                    last_sent = time.monotonic()
                    yield ": keepalive\n\n"
                await asyncio.sleep(settings.fast_tick if self.busy else settings.slow_tick)
        finally:
            i18n.deactivate(token)


def parse_watch(page: Page) -> Watch:
    ids = [s for s in page.query("servers").split(",") if s][:MAX_WATCHED]
    busy = {s for s in page.query("busy").split(",") if s in ids}
    try:
        drawn = float(page.query("since") or time.time())
    except ValueError:
        drawn = time.time()
    return Watch(
        since=min(drawn, time.time()),
        rows=dict.fromkeys(ids),
        busy_rows=busy,
        server=page.query("server"),
        follow_flow=page.query("flow") == "latest",
    )


async def events(page: Page) -> Response:
    stream = Stream(page, parse_watch(page))
    return StreamingResponse(
        stream.run(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
