"""Identity client: password tokens and catalog lookups."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx

from nimbostack.clients import tls
from nimbostack.core.errors import ServiceUnavailable


@dataclass
class Session:
    """A scoped token and the catalog that came with it."""

    token: str
    catalog: list[dict[str, Any]] = field(default_factory=list)

    def endpoint(self, service_type: str, interface: str = "public") -> str:
        for service in self.catalog:
            if service["type"] != service_type:
                continue
            for ep in service["endpoints"]:
                if ep["interface"] == interface:
                    return str(ep["url"]).rstrip("/")
        raise ServiceUnavailable(f"no {interface} endpoint for {service_type} in the catalog")


class SessionSource(Protocol):
    """What a service's REST client asks for its token and catalog (and to drop them)."""

    async def session(self) -> Session: ...

    def invalidate(self) -> None: ...


async def password_session(
    auth_url: str, user: str, password: str, project: str, domain: str = "default"
) -> Session:
    """Authenticate with a password, scoped to a project of the given domain."""
    body = {
        "auth": {
            "identity": {
                "methods": ["password"],
                "password": {
                    "user": {"name": user, "domain": {"id": domain}, "password": password}
                },
            },
            "scope": {"project": {"name": project, "domain": {"id": domain}}},
        }
    }
    async with httpx.AsyncClient(timeout=60, verify=tls.context()) as client:
        resp = await client.post(f"{auth_url.rstrip('/')}/auth/tokens", json=body)
    if resp.status_code != 201:
        raise ServiceUnavailable(f"identity refused the service login: {resp.status_code}")
    return Session(resp.headers["X-Subject-Token"], resp.json()["token"].get("catalog", []))


async def project_id(auth_url: str, token: str, name: str, domain: str = "default") -> str:
    """The id of the project named ``name`` in ``domain`` (a token allowed to list projects)."""
    async with httpx.AsyncClient(timeout=60) as client:
        resp = await client.get(
            f"{auth_url.rstrip('/')}/projects",
            params={"name": name, "domain_id": domain},
            headers={"X-Auth-Token": token},
        )
    found = resp.json().get("projects", []) if resp.status_code == 200 else []
    if len(found) != 1:
        raise ServiceUnavailable(f"identity knows no single project named {name}")
    return str(found[0]["id"])


class FixedAuth:
    """A session obtained once, given to clients that ask for an auth (tools, tests)."""

    def __init__(self, session: Session) -> None:
        self._session = session

    async def session(self) -> Session:
        return self._session

    def invalidate(self) -> None:
        """A fixed token cannot be renewed: the next request fails as the last did."""
