"""Logging in and out, switching project, and choosing the language."""

from __future__ import annotations

import asyncio
import contextlib
import time
from urllib.parse import urlsplit

from starlette.responses import RedirectResponse, Response

from nimbostack.clients.rest import RestError
from nimbostack.dashboard import csrf, i18n
from nimbostack.dashboard.i18n import _
from nimbostack.dashboard.panels import N_
from nimbostack.dashboard.session import COOKIE
from nimbostack.dashboard.web import Page, error_page

HOME = "/project/overview"
_REASONS = {
    "expired": N_("Your session has expired. Please log in again."),
    "lost": N_(
        "Your session has expired: what you submitted was not saved. Please log in "
        "and submit it again."
    ),
    "logout": N_("You have logged out."),
}


def safe_next(target: str) -> str:
    """Only a path of this site: never another host (an open redirect)."""
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return HOME
    return target


def _login_form(page: Page, status: int = 200, error: str = "", **kept: str) -> Response:
    secret = page.request.cookies.get(csrf.LOGIN_COOKIE) or csrf.new_secret()
    reason = _REASONS.get(page.query("why"), "")
    response = page.render(
        "login.html",
        code=status,
        login_csrf=secret,
        error=error,
        notice=_(reason) if reason else "",
        next=safe_next(page.query("next") or kept.get("next", HOME)),
        domain=kept.get("domain") or page.state.settings.default_domain,
        username=kept.get("username", ""),
    )
    response.set_cookie(
        csrf.LOGIN_COOKIE,
        secret,
        httponly=True,
        samesite="strict",
        secure=page.state.settings.secure_cookies,
        path="/auth",
    )
    return response


async def login_form(page: Page) -> Response:
    if page.session is not None:
        return RedirectResponse(HOME, 303)
    return _login_form(page)


async def login(page: Page) -> Response:
    form = page.form
    given = form.get(csrf.FIELD)
    if not csrf.matches(page.request.cookies.get(csrf.LOGIN_COOKIE), given):
        return error_page(page, 403, _("Forbidden"), _("The login form has expired; reload it."))
    kept = {k: form.get(k) for k in ("domain", "username", "next")}
    auth = page.state.auth
    started = time.perf_counter()
    try:
        unscoped = await auth.password(
            form.get("domain"), form.get("username"), form.get("password")
        )
        login_ms = (time.perf_counter() - started) * 1000.0
        projects = await auth.projects(unscoped.id)
        if not projects:
            await auth.revoke(unscoped.id)
            return _login_form(page, 403, _("You have no role on any project."), **kept)
        chosen = _preferred(projects, page.request.cookies.get("nimbo_project"))
        scoped = await auth.rescope(unscoped.id, chosen)
    except RestError as exc:
        if exc.status in (400, 401, 403, 404):
            return _login_form(page, 401, _("Invalid domain, user name or password."), **kept)
        return _login_form(page, 502, _("Identity is not answering: %s") % exc.message, **kept)
    session = page.state.sessions.create(unscoped, scoped, login_ms)
    response = RedirectResponse(safe_next(form.get("next") or HOME), 303)
    _set_session_cookie(page, response, session.sid)
    response.delete_cookie(csrf.LOGIN_COOKIE, path="/auth")
    return response


def _preferred(projects: list[dict[str, str]], last: str | None) -> str:
    ids = [p["id"] for p in sorted(projects, key=lambda p: p.get("name", ""))]
    return last if last in ids else ids[0]


def _set_session_cookie(page: Page, response: Response, sid: str) -> None:
    response.set_cookie(
        COOKIE,
        sid,
        httponly=True,
        samesite="lax",
        secure=page.state.settings.secure_cookies,
        path="/",
    )


async def logout(page: Page) -> Response:
    session = page.user
    page.state.sessions.drop(session.sid)
    auth = page.state.auth
    for token in {session.token.id, session.unscoped.id}:
        with contextlib.suppress(RestError):
            await auth.revoke(token)
    response = RedirectResponse("/auth/login?why=logout", 303)
    response.delete_cookie(COOKIE, path="/")
    return response


async def switch_project(page: Page) -> Response:
    session = page.user
    project_id = page.form.get("project_id")
    try:
        scoped = await page.state.auth.rescope(session.unscoped.id, project_id)
    except RestError as exc:
        if exc.status == 401:
            raise
        return page.redirect(page.back(HOME), _("You cannot use that project."), "error")
    old = session.token.id
    session.token = scoped
    asyncio.get_running_loop().create_task(_quiet_revoke(page, old))
    response = page.redirect(HOME, _("Now working in project %s.") % (scoped.project_name or ""))
    response.set_cookie("nimbo_project", project_id, httponly=True, samesite="lax", path="/")
    return response


async def _quiet_revoke(page: Page, token: str) -> None:
    with contextlib.suppress(RestError, OSError):
        await page.state.auth.revoke(token)


async def projects_menu(page: Page) -> Response:
    """The user menu's project list (a fragment, loaded when the menu opens)."""
    projects = await page.state.auth.projects(page.user.unscoped.id)
    projects.sort(key=lambda p: p.get("name", ""))
    return page.render("_projects.html", projects=projects)


async def set_language(page: Page) -> Response:
    """Remember the language in a cookie (CSRF-checked with or without a session)."""
    expected = page.session.csrf if page.session else page.request.cookies.get(csrf.LOGIN_COOKIE)
    if not csrf.matches(expected, page.form.get(csrf.FIELD)):
        return error_page(page, 403, _("Forbidden"), _("The form was not issued by this session."))
    language = page.form.get("language")
    target = page.back(HOME)
    response = RedirectResponse(target, 303)
    if language in i18n.LANGUAGES:
        response.set_cookie(i18n.COOKIE, language, samesite="lax", path="/", max_age=31536000)
    return response


async def root(page: Page) -> Response:
    return RedirectResponse(HOME if page.session else "/auth/login", 303)
