"""CSRF protection: every state-changing request carries a secret only our pages know.

A logged-in session has its own secret (in the server-side session); pages put it in
each form (``csrf_token``) and scripts send it as ``X-CSRF-Token``. Before login there
is no session, so the login form uses a double-submit cookie: a random value both in
an HttpOnly SameSite=Strict cookie and in the form, which a foreign site can neither
read nor set. The Origin header, when the browser sends one, must be our own too.
"""

from __future__ import annotations

import hmac
import secrets

from starlette.requests import Request

FIELD = "csrf_token"
HEADER = "x-csrf-token"
LOGIN_COOKIE = "nimbo_login_csrf"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def matches(expected: str | None, given: str | None) -> bool:
    """Constant-time comparison; an empty value never matches."""
    if not expected or not given:
        return False
    return hmac.compare_digest(expected.encode(), given.encode())


def same_origin(request: Request) -> bool:
    """False only when the browser says the request comes from another origin."""
    origin = request.headers.get("origin")
    if not origin or origin == "null":
        return origin is None
    host = request.headers.get("host", "")
    return origin.split("://", 1)[-1] == host


def submitted(request: Request, form: dict[str, str] | None) -> str | None:
    """The token a request carries: its header, else its form field."""
    return request.headers.get(HEADER) or (form or {}).get(FIELD)
