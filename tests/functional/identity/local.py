"""Identity in-process: its real app on a fresh SQLite database, driven over ASGI.

Each test gets its own state (bootstrap roles admin → manager → member → reader and an
admin account), so settings such as lockout rules can differ per test.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from nimbostack.core.config import load
from nimbostack.core.service import Runtime
from nimbostack.identity.bootstrap import Account, bootstrap
from nimbostack.identity.service import API, IdentityService
from nimbostack.identity.state import IdentityState

ADMIN_PASSWORD = "admin-pass-1"


@dataclass
class Member:
    """A fresh user holding one role on a fresh project."""

    name: str
    password: str
    user_id: str
    project_id: str


class LocalIdentity:
    """``/v3`` of an in-process identity app."""

    def __init__(self, client: httpx.AsyncClient, state: IdentityState) -> None:
        self.client = client
        self.state = state
        self._admin: str | None = None

    async def call(
        self, method: str, path: str, body: Any = None, *, token: str | None = None, **kw: Any
    ) -> httpx.Response:
        headers = dict(kw.pop("headers", {}))
        if token:
            headers["X-Auth-Token"] = token
        if body is not None:
            kw["json"] = body
        return await self.client.request(method, f"/v3{path}", headers=headers, **kw)

    async def login(
        self, name: str, password: str, project_id: str | None = None
    ) -> httpx.Response:
        user = {"name": name, "domain": {"id": "default"}, "password": password}
        auth: dict[str, Any] = {"identity": {"methods": ["password"], "password": {"user": user}}}
        if project_id:
            auth["scope"] = {"project": {"id": project_id}}
        return await self.call("POST", "/auth/tokens", {"auth": auth})

    async def token(self, name: str, password: str, project_id: str | None = None) -> str:
        resp = await self.login(name, password, project_id)
        assert resp.status_code == 201, resp.text
        return resp.headers["X-Subject-Token"]

    async def admin(self) -> str:
        if self._admin is None:
            projects = await self.call(
                "GET", "/auth/projects", token=await self.token("admin", ADMIN_PASSWORD)
            )
            admin_project = projects.json()["projects"][0]["id"]
            self._admin = await self.token("admin", ADMIN_PASSWORD, admin_project)
        return self._admin

    async def role_id(self, name: str) -> str:
        resp = await self.call("GET", "/roles", token=await self.admin(), params={"name": name})
        return str(resp.json()["roles"][0]["id"])

    async def member(self, role: str = "member") -> Member:
        """A new project and user; the user holds ``role`` on the project."""
        admin = await self.admin()
        name = f"u-{uuid.uuid4().hex[:8]}"
        password = f"pw-{uuid.uuid4().hex[:12]}"
        project = await self.call("POST", "/projects", {"project": {"name": name}}, token=admin)
        user = await self.call(
            "POST", "/users", {"user": {"name": name, "password": password}}, token=admin
        )
        assert project.status_code == user.status_code == 201, (project.text, user.text)
        pid, uid = project.json()["project"]["id"], user.json()["user"]["id"]
        path = f"/projects/{pid}/users/{uid}/roles/{await self.role_id(role)}"
        assert (await self.call("PUT", path, token=admin)).status_code == 204
        return Member(name, password, uid, pid)

    async def app_cred_login(self, cred: dict[str, Any]) -> httpx.Response:
        ref = {"id": cred["id"], "secret": cred["secret"]}
        identity = {"methods": ["application_credential"], "application_credential": ref}
        return await self.call("POST", "/auth/tokens", {"auth": {"identity": identity}})

    async def app_cred_token(self, cred: dict[str, Any]) -> str:
        resp = await self.app_cred_login(cred)
        assert resp.status_code == 201, resp.text
        return resp.headers["X-Subject-Token"]


@asynccontextmanager
async def local_identity(
    tmp_path: Path, **sections: dict[str, Any]
) -> AsyncIterator[LocalIdentity]:
    """A bootstrapped identity; ``sections`` override options (``security_compliance={...}``)."""
    conf = load(None, environ={})
    conf.override("identity", password_hash_rounds=4)
    for section, values in sections.items():
        conf.override(section, **values)
    service = IdentityService(Runtime(conf=conf, data_dir=tmp_path))
    state = await service.prepare()
    await bootstrap(state, [Account("admin", ADMIN_PASSWORD, "admin", "admin", system=True)], [])
    transport = httpx.ASGITransport(app=service.app(API))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://identity") as client:
            yield LocalIdentity(client, state)
    finally:
        await service.stop()
