"""What every page handler gets (``Page``) and the wrapper that builds it (``view``).

The wrapper runs, in order: the language, the session (a missing or expired one sends
the browser to the login page, saying so), the Origin and CSRF checks of
state-changing requests, a fresh check with identity that the session's token still
holds before any change (other services cache token checks for a while), the
handler, then the mapping of API refusals to pages: 401 ends the session, 404 and
403 become friendly pages with the API's own message, and a refused form (400, 409,
413...) goes back where it came from with that message.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, quote

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from nimbostack.clients.rest import RestError
from nimbostack.dashboard import csrf, i18n, panels
from nimbostack.dashboard.apis import Apis
from nimbostack.dashboard.i18n import _
from nimbostack.dashboard.session import COOKIE, UserSession
from nimbostack.dashboard.state import DashboardState

LOG = logging.getLogger(__name__)
# Sent by our script when it submits a form in place (the page stays, the stream updates).
IN_PLACE = "x-nimbo-in-place"
MAX_FORM = 1024 * 1024
Handler = Callable[["Page"], Awaitable[Response]]


@dataclass
class Form:
    """A submitted urlencoded form, in order, with repeated fields kept."""

    pairs: list[tuple[str, str]] = field(default_factory=list)

    def get(self, name: str, default: str = "") -> str:
        for key, value in self.pairs:
            if key == name:
                return value
        return default

    def getlist(self, name: str) -> list[str]:
        return [value for key, value in self.pairs if key == name]

    def int(self, name: str, default: int = 0) -> int:
        try:
            return int(self.get(name, str(default)))
        except ValueError:
            return default

    def as_dict(self) -> dict[str, str]:
        return dict(self.pairs)


class FormTooLarge(Exception):
    """The form is bigger than any page of ours sends."""


async def read_form(request: Request) -> Form:
    if request.headers.get("content-type", "").split(";")[0] != "application/x-www-form-urlencoded":
        return Form()
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM:
            raise FormTooLarge
    return Form(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))


@dataclass
class Page:
    """One request to a page: who asks, in which language, with which form."""

    request: Request
    state: DashboardState
    language: str
    session: UserSession | None = None
    form: Form = field(default_factory=Form)

    @property
    def user(self) -> UserSession:
        assert self.session is not None, "this page needs a session"
        return self.session

    @property
    def apis(self) -> Apis:
        return Apis(self.state.http, self.user.token)

    def param(self, name: str) -> str:
        return str(self.request.path_params[name])

    def query(self, name: str, default: str = "") -> str:
        return self.request.query_params.get(name, default)

    def context(self, **values: Any) -> dict[str, Any]:
        session = self.session
        nav: list[tuple[str, list[panels.Panel]]] = []
        if session is not None:
            types = [entry.get("type", "") for entry in session.token.catalog]
            shown = panels.visible(types, session.is_admin)
            nav = [
                (_(title), [p for p in shown if p.group == group])
                for group, title in panels.GROUPS
                if any(p.group == group for p in shown)
            ]
        return {
            "session": session,
            "csrf": session.csrf if session else "",
            "nav": nav,
            "path": self.request.url.path,
            "language": self.language,
            "flashes": session.take_flashes() if session else [],
            "drawn_at": int(time.time()),
            **values,
        }

    def render(self, template: str, code: int = 200, **values: Any) -> HTMLResponse:
        """The page ``template`` with ``values``, answered with HTTP status ``code``."""
        html = self.state.renderer.render(template, self.context(**values))
        return HTMLResponse(html, code)

    def fragment(self, template: str, **values: Any) -> str:
        return self.state.renderer.render(template, {"csrf": self.user.csrf, **values})

    def redirect(self, url: str, flash: str | None = None, kind: str = "ok") -> Response:
        """Go to ``url`` showing ``flash``; a form submitted in place gets them as JSON."""
        if self.request.headers.get(IN_PLACE):
            status = 200 if kind == "ok" else 409
            return JSONResponse({"message": flash or "", "kind": kind, "location": url}, status)
        if flash and self.session is not None:
            self.session.flash(kind, flash)
        return RedirectResponse(url, 303)

    def back(self, fallback: str) -> str:
        """Where a refused form returns: the local page it came from, or ``fallback``."""
        target = self.form.get("back") or fallback
        return target if target.startswith("/") and not target.startswith("//") else fallback


def error_page(page: Page, status: int, title: str, message: str) -> HTMLResponse:
    return page.render("error.html", code=status, title=title, message=message)


def to_login(page: Page, *, expired: bool, lost_form: bool) -> Response:
    """Send the browser to the login page, saying why and whether a form was lost."""
    target = page.request.url.path
    if page.request.url.query and page.request.method == "GET":
        target += "?" + page.request.url.query
    reason = "expired" if expired else "login"
    if lost_form:
        reason = "lost"
    response = RedirectResponse(f"/auth/login?next={quote(target)}&why={reason}", 303)
    if expired:
        response.delete_cookie(COOKIE, path="/")
    return response


def api_refusal(page: Page, exc: RestError) -> Response:
    if exc.status == 401:
        if page.session is not None:
            page.state.sessions.drop(page.session.sid)
        return to_login(page, expired=True, lost_form=page.request.method == "POST")
    if exc.status == 404:
        return error_page(page, 404, _("Not found"), exc.message)
    if exc.status == 403:
        return error_page(page, 403, _("Not allowed"), exc.message)
    if page.request.method == "POST" and exc.status < 500:
        return page.redirect(page.back(page.request.url.path), exc.message, "error")
    LOG.warning("%s %s: %s", page.request.method, page.request.url.path, exc)
    return error_page(page, 502, _("The cloud could not answer"), exc.message)


async def _guarded(page: Page, handler: Handler, login: bool, raw_body: bool) -> Response:
    request, state = page.request, page.state
    sid = request.cookies.get(COOKIE)
    page.session = state.sessions.get(sid)
    posting = request.method not in csrf.SAFE_METHODS
    if posting and not csrf.same_origin(request):
        return error_page(page, 403, _("Forbidden"), _("This request came from another site."))
    if login and page.session is None:
        return to_login(page, expired=bool(sid), lost_form=posting)
    if posting and not raw_body:
        try:
            page.form = await read_form(request)
        except FormTooLarge:
            return error_page(page, 413, _("Too large"), _("The form is too large."))
    if (
        posting
        and login
        and not csrf.matches(page.user.csrf, csrf.submitted(request, page.form.as_dict()))
    ):
        return error_page(page, 403, _("Forbidden"), _("The form was not issued by this session."))
    try:
        if posting and login and not await state.auth.valid(page.user.token.id):
            # Services cache token checks; a change must not outlive a revoked token.
            raise RestError(401, "The token was revoked.", "identity")
        return await handler(page)
    except RestError as exc:
        return api_refusal(page, exc)


def view(
    handler: Handler, *, login: bool = True, raw_body: bool = False
) -> Callable[[Request], Awaitable[Response]]:
    """A Starlette endpoint running ``handler`` inside the checks above."""

    async def endpoint(request: Request) -> Response:
        state: DashboardState = request.app.state.dashboard
        language = i18n.negotiate(
            request.cookies.get(i18n.COOKIE), request.headers.get("accept-language")
        )
        token = i18n.activate(language)
        try:
            return await _guarded(Page(request, state, language), handler, login, raw_body)
        finally:
            i18n.deactivate(token)

    endpoint.__name__ = handler.__name__
    return endpoint
