"""Identity client: password tokens and catalog lookups."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

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
