"""The compute API in-process: its real app and SQLite database, stub tokens, bus and images.

Tokens name their caller: "admin" (admin of project "admin-p"), "alice" and "carol"
(members of "project-a"), "bob" (member of "project-b"), "reader" (reader of
"project-a"). Casts and calls to the bus are recorded on ``FakeRpc``; the image service
is an in-memory dict behind httpx's MockTransport.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from nimbostack.clients.identity import Session
from nimbostack.clients.image import ImageClient
from nimbostack.compute import options as _options  # noqa: F401
from nimbostack.compute import policies
from nimbostack.compute.credentials import StaticAuth
from nimbostack.compute.db.models import Base, ComputeNode, Instance, Service
from nimbostack.compute.objects.flavors import ensure_default_flavors
from nimbostack.compute.service import API
from nimbostack.core.auth.policy import Enforcer
from nimbostack.core.auth.tokens import TokenInfo
from nimbostack.core.config import Config, load
from nimbostack.core.context import RequestContext
from nimbostack.core.db import Database
from nimbostack.core.db.engine import sqlite_url
from nimbostack.core.db.migrate import upgrade
from nimbostack.core.errors import Unauthorized
from nimbostack.core.rpc import Message
from nimbostack.core.service import api_app
from tests.support.postgres import PostgresCluster

MIGRATIONS = Path(__file__).parents[3] / "src/nimbostack/compute/db/migrations"
CALLERS = {
    "admin": ("admin-p", ("admin", "member", "reader")),
    "alice": ("project-a", ("member", "reader")),
    "carol": ("project-a", ("member", "reader")),
    "bob": ("project-b", ("member", "reader")),
    "reader": ("project-a", ("reader",)),
}
GUEST = "11111111-2222-3333-4444-555555555555"


class StubValidator:
    async def validate(self, token: str) -> TokenInfo:
        if token not in CALLERS:
            raise Unauthorized("The request you have made requires authentication.")
        project, roles = CALLERS[token]
        return TokenInfo(
            user_id=f"{token}-id",
            user_name=token,
            user_domain_id="default",
            expires_at=time.time() + 3600,
            roles=roles,
            project_id=project,
            project_name=project,
        )


@dataclass
class FakeRpc:
    """Records what the API sends; ``answers`` maps a call's message name to its reply."""

    sent: list[tuple[str, str, Message]] = field(default_factory=list)
    answers: dict[str, Any] = field(default_factory=dict)

    async def cast_conductor(self, ctxt: RequestContext, msg: Message) -> None:
        self.sent.append(("conductor", "", msg))

    async def call_conductor(self, ctxt: RequestContext, msg: Message) -> Any:
        self.sent.append(("conductor", "", msg))
        return self.answers.get(msg.name)

    async def cast_agent(self, ctxt: RequestContext, host: str, msg: Message) -> None:
        self.sent.append(("agent", host, msg))

    async def call_agent(
        self, ctxt: RequestContext, host: str, msg: Message, *, timeout: float | None = None
    ) -> Any:
        self.sent.append(("agent", host, msg))
        return self.answers.get(msg.name)

    def last(self) -> Message:
        return self.sent[-1][2]


class FakeImages:
    """The image service as a dict of image records."""

    def __init__(self) -> None:
        self.images: dict[str, dict[str, Any]] = {
            GUEST: {"id": GUEST, "name": "nimbo-guest", "status": "active", "size": 1024,
                    "min_ram": 0, "min_disk": 0, "disk_format": "qcow2"},
        }  # fmt: skip

    def handle(self, request: httpx.Request) -> httpx.Response:
        parts = request.url.path.strip("/").split("/")
        if request.method == "GET" and parts[-1] == "images":
            return httpx.Response(200, json={"images": self.listing(request.url.params)})
        if request.method == "PATCH":
            return self.patch(parts[-1], json.loads(request.content))
        if request.method == "POST":
            body = json.loads(request.content)
            image = {**body, "id": str(uuid.uuid4()), "status": "queued"}
            self.images[image["id"]] = image
            return httpx.Response(201, json=image)
        found = self.images.get(parts[-1])
        if found is None:
            return httpx.Response(404, json={"message": "not found"})
        if request.method == "DELETE":
            del self.images[parts[-1]]
            return httpx.Response(204)
        return httpx.Response(200, json=found)

    def listing(self, params: httpx.QueryParams) -> list[dict[str, Any]]:
        """Images whose fields equal every filter given (sorting is by creation order)."""
        wanted = {k: v for k, v in params.items() if k not in ("sort_key", "sort_dir")}
        found = [i for i in self.images.values() if all(
            str(i.get(k)) == v for k, v in wanted.items())]  # fmt: skip
        return found[::-1] if params.get("sort_dir") == "desc" else found

    def patch(self, image_id: str, ops: list[dict[str, Any]]) -> httpx.Response:
        image = self.images.get(image_id)
        if image is None:
            return httpx.Response(404, json={"message": "not found"})
        for op in ops:
            key = op["path"].lstrip("/")
            if op["op"] == "remove":
                image.pop(key, None)
            else:
                image[key] = op["value"]
        return httpx.Response(200, json=image)

    def client(self, session: Session) -> ImageClient:
        transport = httpx.MockTransport(self.handle)
        return ImageClient(session, httpx.AsyncClient(transport=transport))


@dataclass
class StubState:
    conf: Config
    db: Database
    rpc: FakeRpc
    auth: StaticAuth
    images: FakeImages
    enforcer: Enforcer
    extra: dict[str, Any] = field(default_factory=dict)

    def image_client(self, session: Session) -> ImageClient:
        return self.images.client(session)


CATALOG = [{"type": "image", "endpoints": [{"interface": "public", "url": "http://image.test"}]}]


class Compute:
    """An async client on the compute app, speaking a given microversion."""

    def __init__(self, client: httpx.AsyncClient, state: StubState) -> None:
        self.client = client
        self.state = state

    async def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        token: str = "alice",
        version: str | None = "2.96",
        params: Any = None,
    ) -> httpx.Response:
        headers = {"X-Auth-Token": token}
        if version:
            headers["OpenStack-API-Version"] = f"compute {version}"
        kwargs: dict[str, Any] = {"headers": headers, "params": params}
        if body is not None:
            kwargs["json"] = body
        return await self.client.request(method, f"/v2.1{path}", **kwargs)

    async def boot(self, token: str = "alice", **server: Any) -> str:
        body = {"name": "vm", "imageRef": GUEST, "flavorRef": "42", "networks": "none"}
        body.update(server)
        resp = await self.call("POST", "/servers", {"server": body}, token=token)
        assert resp.status_code == 202, resp.text
        return str(resp.json()["server"]["id"])

    async def set_state(self, uuid: str, **values: Any) -> None:
        """Play the conductor and agent: move the instance to a state directly."""
        async with self.state.db.session() as s:
            row = await s.get(Instance, uuid)
            assert row is not None
            for key, value in values.items():
                setattr(row, key, value)

    async def active(self, token: str = "alice", **server: Any) -> str:
        uuid = await self.boot(token, **server)
        await self.set_state(
            uuid, vm_state="active", task_state=None, power_state=1, host="host1", node="node1"
        )
        return uuid

    async def add_host(self, host: str = "host1") -> None:
        async with self.state.db.session() as s:
            s.add(Service(uuid=str(uuid.uuid4()), id=1, host=host, binary="nova-compute",
                          topic="compute.agent", created_at=time.time(),
                          last_seen_up=time.time()))  # fmt: skip
            s.add(ComputeNode(uuid=str(uuid.uuid4()), id=1, host=host,
                              hypervisor_hostname=f"{host}-node", hypervisor_type="fake",
                              vcpus=64, memory_mb=262144, local_gb=4000))  # fmt: skip


async def make_state(tmp: Path, url: str | None = None) -> StubState:
    url = url or sqlite_url(tmp / "compute.sqlite")
    upgrade(url, MIGRATIONS, Base.metadata)
    db = Database(url)
    await ensure_default_flavors(db)
    return StubState(
        conf=load(None, environ={}),
        db=db,
        rpc=FakeRpc(),
        auth=StaticAuth(Session("service-token", CATALOG)),
        images=FakeImages(),
        enforcer=Enforcer(policies.rules()),
    )


@asynccontextmanager
async def compute_api(tmp: Path, url: str | None = None) -> AsyncIterator[Compute]:
    """The compute app on a database at ``url`` (default: a SQLite file in ``tmp``)."""
    state = await make_state(tmp, url)
    app = api_app(API, state, validator=StubValidator(), enforcer=state.enforcer)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://compute.test") as client:
        yield Compute(client, state)
    await state.db.close()


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[Compute]:
    async with compute_api(tmp_path) as compute:
        yield compute


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def any_db_api(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Compute]:
    """The compute app on SQLite, then on a fresh PostgreSQL database."""
    if request.param == "sqlite":
        async with compute_api(tmp_path) as compute:
            yield compute
        return
    server: PostgresCluster = request.getfixturevalue("postgres_server")
    name = f"compute_{uuid.uuid4().hex[:12]}"
    url = server.create_database(name)
    try:
        async with compute_api(tmp_path, url) as compute:
            yield compute
    finally:
        server.drop_database(name)


def fault(resp: httpx.Response) -> dict[str, Any]:
    """The single Nova fault of an error response ({"badRequest": {...}} etc.)."""
    body: dict[str, Any] = resp.json()
    assert len(body) == 1, body
    inner: dict[str, Any] = next(iter(body.values()))
    assert inner["code"] == resp.status_code
    return inner
