"""Tokens for people: password login, re-scoping to a project, listing one's projects,
and revocation (Keystone v3 ``/auth/*``).

A login asks for an unscoped token first, as Horizon does: it names the user and
proves the password without choosing a project, and later re-scopes with the
``token`` method to any project the user has a role on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx

from nimbostack.clients.identity import Session
from nimbostack.clients.rest import RestError, fault_message


@dataclass(frozen=True)
class Token:
    """What identity said about a token: who, where, which roles, until when."""

    id: str
    expires_at: float
    user_id: str
    user_name: str
    domain_id: str
    domain_name: str
    roles: tuple[str, ...] = ()
    project_id: str | None = None
    project_name: str | None = None
    catalog: list[dict[str, Any]] = field(default_factory=list)

    @property
    def session(self) -> Session:
        return Session(self.id, self.catalog)

    def has_service(self, service_type: str) -> bool:
        return any(entry.get("type") == service_type for entry in self.catalog)


def _expiry(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def parse_token(token_id: str, body: dict[str, Any]) -> Token:
    doc = body["token"]
    user = doc["user"]
    project = doc.get("project") or {}
    return Token(
        id=token_id,
        expires_at=_expiry(doc["expires_at"]),
        user_id=user["id"],
        user_name=user["name"],
        domain_id=user["domain"]["id"],
        domain_name=user["domain"].get("name", user["domain"]["id"]),
        roles=tuple(sorted(role["name"] for role in doc.get("roles", []))),
        project_id=project.get("id"),
        project_name=project.get("name"),
        catalog=list(doc.get("catalog", [])),
    )


class IdentityAuth:
    """Keystone's ``/v3/auth`` endpoints at ``auth_url`` (which ends in ``/v3``)."""

    def __init__(self, auth_url: str, client: httpx.AsyncClient) -> None:
        self.auth_url = auth_url.rstrip("/")
        self.client = client

    async def _issue(self, auth: dict[str, Any]) -> Token:
        resp = await self.client.post(f"{self.auth_url}/auth/tokens", json={"auth": auth})
        if resp.status_code != 201:
            raise RestError(resp.status_code, fault_message(resp), "identity")
        return parse_token(resp.headers["X-Subject-Token"], resp.json())

    async def password(self, domain: str, user: str, password: str) -> Token:
        """An unscoped token for ``user`` of the domain named ``domain``."""
        ident = {"name": user, "domain": {"name": domain}, "password": password}
        return await self._issue(
            {"identity": {"methods": ["password"], "password": {"user": ident}}}
        )

    async def rescope(self, token: str, project_id: str) -> Token:
        """A token for ``project_id`` made from ``token`` (same user, same expiry)."""
        return await self._issue(
            {
                "identity": {"methods": ["token"], "token": {"id": token}},
                "scope": {"project": {"id": project_id}},
            }
        )

    async def projects(self, token: str) -> list[dict[str, Any]]:
        """The projects the token's user may scope to."""
        resp = await self.client.get(
            f"{self.auth_url}/auth/projects", headers={"X-Auth-Token": token}
        )
        if resp.status_code != 200:
            raise RestError(resp.status_code, fault_message(resp), "identity")
        return list(resp.json()["projects"])

    async def valid(self, token: str) -> bool:
        """Whether identity still honours ``token`` (``HEAD /v3/auth/tokens``, asked now)."""
        headers = {"X-Auth-Token": token, "X-Subject-Token": token}
        resp = await self.client.head(f"{self.auth_url}/auth/tokens", headers=headers)
        if resp.status_code in (401, 404):
            return False
        if resp.status_code >= 400:
            raise RestError(resp.status_code, resp.reason_phrase, "identity")
        return True

    async def revoke(self, token: str) -> None:
        """Revoke ``token`` with itself (a token may always revoke itself)."""
        headers = {"X-Auth-Token": token, "X-Subject-Token": token}
        resp = await self.client.delete(f"{self.auth_url}/auth/tokens", headers=headers)
        if resp.status_code not in (204, 404):
            raise RestError(resp.status_code, fault_message(resp), "identity")
