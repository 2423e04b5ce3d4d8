"""Placement in-process: its real app and SQLite database, with stub tokens.

Tokens are "admin", "service" and "member"; the stub validator turns each into the
roles its name says, so these tests exercise placement alone (identity has its own).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from nimbostack.core.auth.policy import Enforcer
from nimbostack.core.auth.tokens import TokenInfo
from nimbostack.core.config import load
from nimbostack.core.db import Database
from nimbostack.core.db.engine import sqlite_url
from nimbostack.core.db.migrate import upgrade
from nimbostack.core.errors import Unauthorized
from nimbostack.core.service import api_app
from nimbostack.placement import policies
from nimbostack.placement.db.models import Base
from nimbostack.placement.objects import names
from nimbostack.placement.service import API, MIGRATIONS
from nimbostack.placement.state import PlacementState

# Each test builds a fresh database, so each new shape of the candidates query is
# compiled again: 30 ms of CPU for one request group, 65 ms for eight, twice that on a
# busy machine (a running cloud compiles each shape once). Candidates tests allow each
# callback four times the usual time, which still fails a loop over the request.
CANDIDATES_LOOP_WATCH = pytest.mark.loop_watch_ms(200)
ROLES = {"admin": ("admin", "member", "reader"), "service": ("service",), "member": ("member",)}


class StubValidator:
    async def validate(self, token: str) -> TokenInfo:
        if token not in ROLES:
            raise Unauthorized("The request you have made requires authentication.")
        return TokenInfo(
            user_id=f"{token}-user",
            user_name=token,
            user_domain_id="default",
            expires_at=time.time() + 3600,
            roles=ROLES[token],
            project_id=f"{token}-project",
        )


async def make_state(tmp: Path) -> PlacementState:
    url = sqlite_url(tmp / "placement.sqlite")
    upgrade(url, MIGRATIONS, Base.metadata)
    db = Database(url)
    await names.ensure_standard(db)
    return PlacementState(
        conf=load(None, environ={}),
        db=db,
        enforcer=Enforcer(policies.rules()),
        public_url="http://placement.test",
    )


class Placement:
    """An async client on the placement app, with a default microversion."""

    def __init__(self, client: httpx.AsyncClient, state: PlacementState) -> None:
        self.client = client
        self.state = state

    async def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        version: str | None = "latest",
        token: str | None = "admin",
        params: Any = None,
    ) -> httpx.Response:
        headers = {}
        if token:
            headers["X-Auth-Token"] = token
        if version:
            headers["OpenStack-API-Version"] = f"placement {version}"
        kwargs: dict[str, Any] = {"headers": headers, "params": params}
        if body is not None:
            kwargs["json"] = body
        return await self.client.request(method, path, **kwargs)

    async def provider(self, name: str | None = None, **inventory: int) -> dict[str, Any]:
        """Create a provider (with inventory totals given as VCPU=8 and so on)."""
        body = {"name": name or f"rp-{uuid.uuid4().hex[:8]}"}
        resp = await self.call("POST", "/resource_providers", body)
        assert resp.status_code == 200, resp.text
        rp: dict[str, Any] = resp.json()
        if inventory:
            await self.set_inventory(rp, {rc: {"total": n} for rc, n in inventory.items()})
        return rp

    async def set_inventory(self, rp: dict[str, Any], inv: dict[str, Any]) -> None:
        path = f"/resource_providers/{rp['uuid']}"
        current = (await self.call("GET", path)).json()
        body = {"inventories": inv, "resource_provider_generation": current["generation"]}
        resp = await self.call("PUT", f"{path}/inventories", body)
        assert resp.status_code == 200, resp.text
        rp["generation"] = resp.json()["resource_provider_generation"]

    async def put_traits(self, rp: dict[str, Any], traits: list[str]) -> None:
        path = f"/resource_providers/{rp['uuid']}"
        current = (await self.call("GET", path)).json()
        body = {"traits": traits, "resource_provider_generation": current["generation"]}
        resp = await self.call("PUT", f"{path}/traits", body)
        assert resp.status_code == 200, resp.text


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[Placement]:
    state = await make_state(tmp_path)
    app = api_app(API, state, validator=StubValidator(), enforcer=state.enforcer)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://placement") as client:
        yield Placement(client, state)
    await state.db.close()


def error_of(resp: httpx.Response) -> dict[str, Any]:
    """The single placement error of a failed response."""
    errors: list[dict[str, Any]] = resp.json()["errors"]
    assert len(errors) == 1
    return errors[0]
