"""Server-side sessions: the tokens of a logged-in user, kept in this process's memory.

The browser holds only a random session id in an HttpOnly, SameSite=Lax cookie; the
Keystone tokens never leave the server. A session ends when its scoped token expires
(the session cannot outlive what identity granted), after ``idle_timeout`` seconds of
inactivity if set, on logout, or when an API answers 401 for its token. Sessions live
in one process: restarting the dashboard logs everyone out, and several dashboard
processes behind a balancer need sticky sessions.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from nimbostack.clients.identity_auth import Token

COOKIE = "nimbo_session"


@dataclass
class UserSession:
    """One logged-in browser: its tokens, CSRF secret and pending messages."""

    sid: str
    csrf: str
    unscoped: Token
    token: Token
    login_ms: float = 0.0
    last_seen: float = field(default_factory=time.time)
    flashes: list[tuple[str, str]] = field(default_factory=list)
    cache: dict[str, tuple[float, Any]] = field(default_factory=dict)

    async def cached(self, key: str, ttl: float, load: Callable[[], Awaitable[Any]]) -> Any:
        """What ``load`` gave for ``key`` less than ``ttl`` seconds ago, else a fresh load.

        For lookups that change rarely and cost a call per page (image and flavor
        names); the key includes the project, so switching project never mixes them.
        """
        key = f"{self.token.project_id}:{key}"
        found = self.cache.get(key)
        now = time.monotonic()
        if found is not None and found[0] > now:
            return found[1]
        value = await load()
        self.cache[key] = (now + ttl, value)
        return value

    @property
    def is_admin(self) -> bool:
        return "admin" in self.token.roles

    def flash(self, kind: str, message: str) -> None:
        """Keep a message for the next page shown (kind: "ok" or "error")."""
        self.flashes.append((kind, message))

    def take_flashes(self) -> list[tuple[str, str]]:
        taken, self.flashes = self.flashes, []
        return taken


class SessionStore:
    """Sessions by id; expired ones are dropped when looked up or swept."""

    def __init__(self, idle_timeout: float = 0.0) -> None:
        self.idle_timeout = idle_timeout
        self._sessions: dict[str, UserSession] = {}

    def __len__(self) -> int:
        return len(self._sessions)

    def create(self, unscoped: Token, token: Token, login_ms: float = 0.0) -> UserSession:
        session = UserSession(
            sid=secrets.token_urlsafe(32),
            csrf=secrets.token_urlsafe(32),
            unscoped=unscoped,
            token=token,
            login_ms=login_ms,
        )
        self._sessions[session.sid] = session
        return session

    def expired(self, session: UserSession, now: float) -> bool:
        if session.token.expires_at <= now:
            return True
        return bool(self.idle_timeout) and now - session.last_seen > self.idle_timeout

    def get(self, sid: str | None, now: float | None = None) -> UserSession | None:
        """The live session of ``sid`` (touched), or None if unknown or expired."""
        if not sid:
            return None
        session = self._sessions.get(sid)
        if session is None:
            return None
        now = time.time() if now is None else now
        if self.expired(session, now):
            self.drop(sid)
            return None
        session.last_seen = now
        return session

    def known(self, sid: str | None) -> bool:
        """Whether ``sid`` names a session, live or not (tells "expired" from "never")."""
        return bool(sid) and sid in self._sessions

    def drop(self, sid: str) -> UserSession | None:
        return self._sessions.pop(sid, None)

    def sweep(self, now: float | None = None) -> list[UserSession]:
        """Remove and return every expired session."""
        now = time.time() if now is None else now
        gone = [s for s in self._sessions.values() if self.expired(s, now)]
        for session in gone:
            self.drop(session.sid)
        return gone
