"""Token validation as the APIs see it: what a valid token says, and a cached validator.

Identity validates its own tokens locally; every other service validates them over REST
with identity (the token validates itself, as Keystone's ``token_subject`` rule allows),
keeping a short cache so a busy API does not ask for every request.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx

from nimbostack.core.context import RequestContext
from nimbostack.core.errors import ServiceUnavailable, Unauthorized
from nimbostack.core.timeutil import parse_iso


@dataclass(frozen=True)
class TokenInfo:
    """The identity and scope a valid token carries."""

    user_id: str
    user_name: str
    user_domain_id: str
    expires_at: float
    roles: tuple[str, ...] = ()
    project_id: str | None = None
    project_name: str | None = None
    project_domain_id: str | None = None
    domain_id: str | None = None
    system_scope: str | None = None
    audit_ids: tuple[str, ...] = ()
    catalog: list[dict[str, Any]] = field(default_factory=list, hash=False, compare=False)

    @classmethod
    def from_body(cls, body: dict[str, Any]) -> TokenInfo:
        """Read a Keystone v3 token body (``{"token": {...}}``)."""
        token = body["token"]
        user = token["user"]
        project = token.get("project") or {}
        domain = token.get("domain") or {}
        system = token.get("system") or {}
        return cls(
            user_id=user["id"],
            user_name=user.get("name", ""),
            user_domain_id=(user.get("domain") or {}).get("id", ""),
            expires_at=parse_iso(token["expires_at"]),
            roles=tuple(r["name"] for r in token.get("roles", [])),
            project_id=project.get("id"),
            project_name=project.get("name"),
            project_domain_id=(project.get("domain") or {}).get("id"),
            domain_id=domain.get("id"),
            system_scope="all" if system.get("all") else None,
            audit_ids=tuple(token.get("audit_ids", [])),
            catalog=token.get("catalog", []),
        )

    def apply(self, context: RequestContext) -> None:
        """Fill a request context with this token's identity and scope."""
        context.user_id = self.user_id
        context.user_name = self.user_name
        context.user_domain_id = self.user_domain_id
        context.project_id = self.project_id
        context.project_name = self.project_name
        context.project_domain_id = self.project_domain_id
        context.domain_id = self.domain_id
        context.system_scope = self.system_scope
        context.roles = list(self.roles)
        context.is_admin = "admin" in self.roles


class TokenValidator(Protocol):
    """Turns a token string into TokenInfo, or raises Unauthorized."""

    async def validate(self, token: str) -> TokenInfo: ...


class RemoteTokenValidator:
    """Validates tokens with the identity service over REST, with a short cache."""

    def __init__(self, identity_url: str, *, cache_seconds: float = 30.0) -> None:
        self.identity_url = identity_url.rstrip("/")
        self.cache_seconds = cache_seconds
        self._cache: dict[str, tuple[float, TokenInfo]] = {}
        self._client = httpx.AsyncClient(timeout=10.0)

    async def validate(self, token: str) -> TokenInfo:
        key = hashlib.sha256(token.encode()).hexdigest()
        now = time.time()
        cached = self._cache.get(key)
        if cached and cached[0] > now and cached[1].expires_at > now:
            return cached[1]
        info = await self._fetch(token)
        if len(self._cache) > 10000:
            self._cache.clear()
        self._cache[key] = (now + self.cache_seconds, info)
        return info

    async def _fetch(self, token: str) -> TokenInfo:
        headers = {"X-Auth-Token": token, "X-Subject-Token": token}
        try:
            resp = await self._client.get(f"{self.identity_url}/v3/auth/tokens", headers=headers)
        except httpx.HTTPError as exc:
            raise ServiceUnavailable(f"Identity service unreachable: {exc}") from None
        if resp.status_code in (401, 403, 404):
            raise Unauthorized("The request you have made requires authentication.")
        if resp.status_code != 200:
            raise ServiceUnavailable(f"Identity service answered {resp.status_code}")
        return TokenInfo.from_body(resp.json())

    @property
    def closed(self) -> bool:
        return self._client.is_closed

    async def close(self) -> None:
        """Close the connections to identity (idempotent); call it when the APIs stop."""
        await self._client.aclose()
