"""A service's own identity: the service user's token and catalog, renewed when needed.

`nimbostack up` creates the ``nimbostack-service`` user (admin role on the ``service``
project) and writes its password to ``<data_dir>/service-password``; processes started
with `nimbostack serve` read the same file. Without it (an older data dir) the admin
account of the cloud is used instead.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Protocol

from nimbostack.clients.identity import Session, password_session

SERVICE_USER = "nimbostack-service"
SERVICE_PROJECT = "service"
# Renew well before identity's default one-hour expiry.
_TOKEN_LIFETIME = 1800.0


class Auth(Protocol):
    """Gives a token (and catalog) that other services accept."""

    async def session(self) -> Session: ...

    def invalidate(self) -> None: ...


class PasswordAuth:
    """Logs in with a password when first asked, again when told the token went bad."""

    def __init__(self, auth_url: str, user: str, password: str, project: str) -> None:
        self.auth_url = auth_url
        self.user = user
        self.password = password
        self.project = project
        self._session: Session | None = None
        self._obtained = 0.0
        self._lock = asyncio.Lock()

    def _fresh(self) -> bool:
        return self._session is not None and time.monotonic() - self._obtained < _TOKEN_LIFETIME

    async def session(self) -> Session:
        if not self._fresh():
            async with self._lock:
                if not self._fresh():
                    self._session = await password_session(
                        self.auth_url, self.user, self.password, self.project
                    )
                    self._obtained = time.monotonic()
        assert self._session is not None
        return self._session

    def invalidate(self) -> None:
        self._session = None


class StaticAuth:
    """A fixed token and catalog (tests, tools)."""

    def __init__(self, session: Session) -> None:
        self._session = session

    async def session(self) -> Session:
        return self._session

    def invalidate(self) -> None:
        """A fixed token cannot be renewed."""


def service_auth(data_dir: Path, auth_url: str) -> PasswordAuth:
    """The service user's credentials from the data dir (admin's as a fallback)."""
    own = data_dir / "service-password"
    if own.exists():
        return PasswordAuth(auth_url, SERVICE_USER, own.read_text().strip(), SERVICE_PROJECT)
    admin = (data_dir / "admin-password").read_text().strip()
    return PasswordAuth(auth_url, "admin", admin, "admin")
