"""Identity's API tests: identity in-process with fresh state per module, and REST clients.

Every module gets its own identity (tests/support/local_cloud.py) on a new database,
first on SQLite and then on PostgreSQL, so no state carries over from other modules.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.functional.identity.local import LocalIdentity, local_identity
from tests.support.cloud import CLIENT_TLS, CloudAccess
from tests.support.local_cloud import LocalCloud, local_cloud


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def cloud(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LocalCloud]:
    """Identity alone, for the module: on SQLite, then on a new PostgreSQL database."""
    with local_cloud(request, tmp_path_factory, ("identity",)) as running:
        yield running


class Api:
    """``/v3`` of the running cloud, called with one token (or none)."""

    def __init__(self, cloud: CloudAccess, token: str | None) -> None:
        headers = {"X-Auth-Token": token} if token else {}
        self.client = httpx.Client(
            base_url=cloud.auth_url, headers=headers, timeout=30, verify=CLIENT_TLS
        )

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
def api(cloud: CloudAccess) -> Iterator[Api]:
    client = Api(cloud, cloud.admin_token())
    yield client
    client.close()


MakeApi = Callable[[str | None], Api]


@pytest.fixture
def make_api(cloud: CloudAccess) -> Iterator[MakeApi]:
    """Api clients for any token, closed at the end of the test."""
    made: list[Api] = []

    def make(token: str | None) -> Api:
        made.append(Api(cloud, token))
        return made[-1]

    yield make
    for client in made:
        client.close()


@pytest.fixture
def anon(cloud: CloudAccess) -> Iterator[Api]:
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
