"""Security headers on every answer: a strict Content-Security-Policy and friends.

Scripts and styles come only from our own origin (no ``unsafe-inline``); no page may
be framed (``frame-ancestors 'none'``) except the console page, which may be framed by
our own pages and itself frames the noVNC page of the console proxy, whose origin the
console view names in the internal ``X-Frame-Src`` header.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

FRAME_SRC = b"x-frame-src"
_BASE = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'"
)


def policy(frame_src: str | None) -> str:
    if frame_src:
        return f"{_BASE}; frame-src {frame_src}; frame-ancestors 'self'"
    return f"{_BASE}; frame-src 'none'; frame-ancestors 'none'"


class SecurityHeaders:
    """ASGI middleware adding the headers to every HTTP response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k != FRAME_SRC]
                frame = next(
                    (v.decode() for k, v in message.get("headers", []) if k == FRAME_SRC), None
                )
                headers += [
                    (b"content-security-policy", policy(frame).encode()),
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"same-origin"),
                    (b"cross-origin-opener-policy", b"same-origin"),
                ]
                if not frame:
                    headers.append((b"x-frame-options", b"DENY"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)
