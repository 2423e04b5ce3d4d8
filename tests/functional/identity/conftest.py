"""Helpers for identity's API tests: a REST client on the shared cloud, or identity in-process."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.functional.identity.local import LocalIdentity, local_identity
from tests.support.cloud import RunningCloud


@pytest.fixture(
    scope="session", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def cloud(
    request: pytest.FixtureRequest, cloud: RunningCloud, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningCloud]:
    """Every identity test runs twice: on the SQLite cloud and on a PostgreSQL one."""
    if request.param == "sqlite":
        yield cloud
        return
    postgres = request.getfixturevalue("postgres_server")
    env = {
        "NIMBOSTACK_DATABASE__CONNECTION": postgres.url("postgres"),
        "NIMBOSTACK_IMAGE__GUEST_IMAGE": "false",
    }
    running = RunningCloud.start(tmp_path_factory.mktemp("cloud-pg"), env)
    yield running
    running.stop()


class Api:
    """``/v3`` of the running cloud, called with one token (or none)."""

    def __init__(self, cloud: RunningCloud, token: str | None) -> None:
        headers = {"X-Auth-Token": token} if token else {}
        self.client = httpx.Client(base_url=cloud.auth_url, headers=headers, timeout=30)

    def call(self, method: str, path: str, body: Any = None, **kw: Any) -> httpx.Response:
        if body is not None:
            kw["json"] = body
        return self.client.request(method, path, **kw)

    def get(self, path: str, **kw: Any) -> httpx.Response:
        return self.call("GET", path, **kw)

    def post(self, path: str, body: Any = None, **kw: Any) -> httpx.Response:
        return self.call("POST", path, body, **kw)

    def put(self, path: str, body: Any = None, **kw: Any) -> httpx.Response:
        return self.call("PUT", path, body, **kw)

    def patch(self, path: str, body: Any = None, **kw: Any) -> httpx.Response:
        return self.call("PATCH", path, body, **kw)

    def delete(self, path: str, **kw: Any) -> httpx.Response:
        return self.call("DELETE", path, **kw)

    def head(self, path: str, **kw: Any) -> httpx.Response:
        return self.call("HEAD", path, **kw)

    def create(self, kind: str, **fields: Any) -> dict[str, Any]:
        """POST /v3/<kind>s and return the created entity (asserting 201)."""
        resp = self.post(f"/{kind}s", {kind: fields})
        assert resp.status_code == 201, resp.text
        entity: dict[str, Any] = resp.json()[kind]
        return entity

    def close(self) -> None:
        self.client.close()


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def error(resp: httpx.Response) -> tuple[int, str]:
    """(code, message) of a Keystone error body, checking it matches the status."""
    body = resp.json()["error"]
    assert body["code"] == resp.status_code
    return body["code"], body["message"]


@pytest.fixture
def api(cloud: RunningCloud) -> Iterator[Api]:
    client = Api(cloud, cloud.admin_token())
    yield client
    client.close()


MakeApi = Callable[[str | None], Api]


@pytest.fixture
def make_api(cloud: RunningCloud) -> Iterator[MakeApi]:
    """Api clients for any token, closed at the end of the test."""
    made: list[Api] = []

    def make(token: str | None) -> Api:
        made.append(Api(cloud, token))
        return made[-1]

    yield make
    for client in made:
        client.close()


@pytest.fixture
def anon(cloud: RunningCloud) -> Iterator[Api]:
    client = Api(cloud, None)
    yield client
    client.close()


@pytest.fixture
def role_ids(api: Api) -> dict[str, str]:
    roles = api.get("/roles").json()["roles"]
    return {r["name"]: r["id"] for r in roles}


@pytest.fixture
async def keystone(tmp_path: Path) -> AsyncIterator[LocalIdentity]:
    """Identity in-process on a fresh database (no `nimbostack up` needed)."""
    async with local_identity(tmp_path) as identity:
        yield identity
