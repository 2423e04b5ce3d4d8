"""Networking in-process: its real app and database, with stub tokens.

Tokens name who is calling: "admin" (admin of the admin project), "alice" and "bob"
(members of two projects), "reader" (a reader of alice's project) and "service". The
stub validator gives each its roles and a fixed project id, so these tests exercise
the networking service alone. ``api`` runs on SQLite; ``any_api`` on SQLite and on
PostgreSQL (for the concurrency tests).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from nimbostack.core.auth.policy import Enforcer
from nimbostack.core.auth.tokens import TokenInfo
from nimbostack.core.config import Config, load
from nimbostack.core.db import Database
from nimbostack.core.db.engine import sqlite_url
from nimbostack.core.db.migrate import upgrade
from nimbostack.core.errors import Unauthorized
from nimbostack.core.service import api_app
from nimbostack.network import policies
from nimbostack.network.db.models import Base
from nimbostack.network.service import API, MIGRATIONS, build_state
from nimbostack.network.state import NetworkState
from tests.support.cloud import CLOUD_LOOP_WATCH_MS
from tests.support.fixtures import postgres_server
from tests.support.postgres import PostgresCluster

__all__ = ["postgres_server"]

PROJECTS = {
    "admin": "a0000000000000000000000000000001",
    "alice": "a1100000000000000000000000000002",
    "bob": "b0b00000000000000000000000000003",
    "reader": "a1100000000000000000000000000002",
    "service": "5e000000000000000000000000000004",
}
ROLES = {
    "admin": ("admin", "manager", "member", "reader"),
    "alice": ("member", "reader"),
    "bob": ("member", "reader"),
    "reader": ("reader",),
    "service": ("service",),
}


PLURALS = {
    "network": "networks",
    "subnet": "subnets",
    "port": "ports",
    "subnetpool": "subnetpools",
    "security_group": "security-groups",
    "security_group_rule": "security-group-rules",
    "address_group": "address-groups",
    "rbac_policy": "rbac-policies",
}


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
            project_id=PROJECTS[token],
        )


def network_conf(**sections: dict[str, Any]) -> Config:
    conf = load(None, environ={})
    for section, values in sections.items():
        conf.override(section, **values)
    return conf


class Neutron:
    """An async client on the networking app, calling as one of the stub tokens."""

    def __init__(self, client: httpx.AsyncClient, state: NetworkState) -> None:
        self.client = client
        self.state = state

    async def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        token: str | None = "admin",
        params: Any = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        sent = dict(headers or {})
        if token:
            sent["X-Auth-Token"] = token
        kwargs: dict[str, Any] = {"headers": sent, "params": params}
        if body is not None:
            kwargs["json"] = body
        return await self.client.request(method, path, **kwargs)

    async def create(self, kind: str, token: str = "admin", **fields: Any) -> dict[str, Any]:
        """POST /v2.0/<kind>s and return the created resource (asserting 201)."""
        resp = await self.call("POST", f"/v2.0/{PLURALS[kind]}", {kind: fields}, token=token)
        assert resp.status_code == 201, resp.text
        found: dict[str, Any] = resp.json()[kind]
        return found

    async def network(self, *, token: str = "admin", **fields: Any) -> dict[str, Any]:
        """A network (provider attributes go in ``fields``, e.g. via ``**{...}``)."""
        fields.setdefault("name", f"net-{uuid.uuid4().hex[:6]}")
        return await self.create("network", token, **fields)

    async def subnet(
        self, net: dict[str, Any], cidr: str = "10.0.0.0/24", token: str = "admin", **fields: Any
    ) -> dict[str, Any]:
        version = 6 if ":" in cidr else 4
        return await self.create(
            "subnet", token, network_id=net["id"], cidr=cidr, ip_version=version, **fields
        )

    async def port(
        self, net: dict[str, Any], token: str = "admin", **fields: Any
    ) -> dict[str, Any]:
        return await self.create("port", token, network_id=net["id"], **fields)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Each test opens a fresh engine, whose first use of every statement compiles it
    # (SQLAlchemy caches compiled statements per engine): a cost a running service pays
    # once. The first port create of a test is one callback of up to ~80 ms of CPU here,
    # so these tests get the cloud's own bound (tests.support.cloud.CLOUD_LOOP_WATCH_MS).
    for item in items:
        if "/functional/network/" in str(item.path) and not item.get_closest_marker(
            "loop_watch_ms"
        ):
            item.add_marker(pytest.mark.loop_watch_ms(CLOUD_LOOP_WATCH_MS))


async def make_state(url: str, conf: Config | None = None) -> NetworkState:
    # Migrations are synchronous start-up work: off the loop the tests watch.
    await asyncio.to_thread(upgrade, url, MIGRATIONS, Base.metadata)
    db = Database(url)
    return await build_state(conf or network_conf(), db, Enforcer(policies.rules()))


async def _serve(state: NetworkState) -> AsyncIterator[Neutron]:
    app = api_app(API, state, validator=StubValidator(), enforcer=state.enforcer)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://neutron") as client:
        yield Neutron(client, state)
    await state.db.close()


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[Neutron]:
    async for client in _serve(await make_state(sqlite_url(tmp_path / "network.sqlite"))):
        yield client


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh database: a SQLite file, then a PostgreSQL database."""
    if request.param == "sqlite":
        return sqlite_url(tmp_path / "network.sqlite")
    cluster: PostgresCluster = request.getfixturevalue("postgres_server")
    name = f"network_{uuid.uuid4().hex[:8]}"
    url = cluster.create_database(name)
    request.addfinalizer(lambda: cluster.drop_database(name))
    return url


@pytest.fixture
async def any_api(any_url: str) -> AsyncIterator[Neutron]:
    """The service on SQLite, then on PostgreSQL."""
    async for client in serve(any_url):
        yield client


async def serve(url: str, conf: Config | None = None) -> AsyncIterator[Neutron]:
    """The service on ``url`` with ``conf`` (for tests that need their own settings)."""
    async for client in _serve(await make_state(url, conf)):
        yield client


def error_of(resp: httpx.Response) -> tuple[int, str, str]:
    """(status, type, message) of a NeutronError body."""
    body = resp.json()["NeutronError"]
    return resp.status_code, body["type"], body["message"]
