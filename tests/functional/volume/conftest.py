"""Block storage in-process: its real API app, scheduler and managers on the in-memory bus,
a SQLite file, real backends in a temporary directory, and stub tokens.

Tokens are named after who they stand for: "admin", "member" and "reader" (project-a),
"other" (a member of project-b), and "service" (a service user, for X-Service-Token).
Image and compute are test doubles at the HTTP level (fakes.py).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from nimbostack.clients.identity import Session
from nimbostack.clients.service_auth import StaticAuth
from nimbostack.core.auth.tokens import TokenInfo
from nimbostack.core.config import load
from nimbostack.core.errors import Unauthorized
from nimbostack.core.runtime import Runtime
from nimbostack.identity import options as _identity_options  # noqa: F401 (service auth URL)
from nimbostack.volume.service import API, VolumeService
from nimbostack.volume.state import VolumeState
from tests.functional.volume.fakes import CATALOG, FakeCompute, FakeImages, Router
from tests.support.requires import require_tools

TOKENS: dict[str, tuple[tuple[str, ...], str]] = {
    "admin": (("admin", "member", "reader"), "admin-project"),
    "member": (("member", "reader"), "project-a"),
    "reader": (("reader",), "project-a"),
    "other": (("member", "reader"), "project-b"),
    "service": (("service",), "service-project"),
}
LATEST = "3.71"


class StubValidator:
    async def validate(self, token: str) -> TokenInfo:
        if token not in TOKENS:
            raise Unauthorized("The request you have made requires authentication.")
        roles, project = TOKENS[token]
        return TokenInfo(
            user_id=f"{token}-user",
            user_name=token,
            user_domain_id="default",
            expires_at=time.time() + 3600,
            roles=roles,
            project_id=project,
        )


class Backstage(VolumeService):
    """The scheduler and the managers, with the test doubles as the other services."""

    name = "volume-backstage"
    roles = ("scheduler", "manager")

    def __init__(self, runtime: Runtime, router: Router) -> None:
        super().__init__(runtime)
        self.router = router

    async def build_state(self) -> VolumeState:
        state = await super().build_state()
        state.http = httpx.AsyncClient(transport=self.router, timeout=60)
        state.auth = StaticAuth(Session("service", CATALOG))
        return state


class VolumeCloud:
    """The running service, an API client, and the fakes it talks to."""

    def __init__(self, data_dir: Path, env: dict[str, str]) -> None:
        self.data_dir = data_dir
        self.env = env
        #: Format of the volume files of the "file" backend.
        self.fmt = env.get("NIMBOSTACK_BACKEND_FILE__VOLUME_FORMAT", "raw")
        (data_dir / "images").mkdir(parents=True, exist_ok=True)
        (data_dir / "service-password").write_text("unused\n")
        self.images = FakeImages(data_dir / "images")
        self.compute = FakeCompute()
        self.router = Router({"image": self.images.app(), "compute": self.compute.app()})
        self.service: Backstage | None = None
        self.client: httpx.AsyncClient | None = None

    @property
    def state(self) -> VolumeState:
        assert self.service is not None
        return self.service.state

    async def start(self) -> None:
        require_tools("qemu-img", "qemu-io", why="the file backend and the disk checks use them")
        runtime = Runtime(conf=load(None, environ=self.env), data_dir=self.data_dir)
        self.service = Backstage(runtime, self.router)
        await self.service.start()
        assert self.service.managers_ready is not None
        await self.service.managers_ready
        app = self.service.app(API, StubValidator())
        self.transport = httpx.ASGITransport(app=app)
        self.client = httpx.AsyncClient(
            transport=self.transport, base_url="http://volume", timeout=60
        )

    async def stop(self, *, abrupt: bool = False) -> None:
        """Stop; ``abrupt`` cancels the work in flight first, as a killed process would."""
        if self.client is not None:
            await self.client.aclose()
        if self.service is not None:
            if abrupt:
                await self.service.bus.close()
            await self.service.stop()
        self.service, self.client = None, None

    async def restart(self, *, abrupt: bool = False) -> None:
        await self.stop(abrupt=abrupt)
        await self.start()

    # -- the API ----------------------------------------------------------------------
    async def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        token: str | None = "member",
        version: str | None = LATEST,
        service_token: str | None = None,
        params: Any = None,
    ) -> httpx.Response:
        headers: dict[str, str] = {}
        if token:
            headers["X-Auth-Token"] = token
        if service_token:
            headers["X-Service-Token"] = service_token
        if version:
            headers["OpenStack-API-Version"] = f"volume {version}"
        assert self.client is not None
        kwargs: dict[str, Any] = {"headers": headers, "params": params}
        if body is not None:
            kwargs["json"] = body
        return await self.client.request(method, path, **kwargs)

    async def ok(self, method: str, path: str, body: Any = None, **kw: Any) -> Any:
        resp = await self.call(method, path, body, **kw)
        assert resp.status_code < 300, f"{method} {path}: {resp.status_code} {resp.text}"
        return resp.json() if resp.content else None

    async def create_volume(self, token: str = "member", **fields: Any) -> dict[str, Any]:
        fields.setdefault("size", 1)
        found: dict[str, Any] = await self.ok(
            "POST", "/v3/volumes", {"volume": fields}, token=token
        )
        return dict(found["volume"])

    async def volume(self, volume_id: str, token: str = "admin") -> dict[str, Any]:
        return dict((await self.ok("GET", f"/v3/volumes/{volume_id}", token=token))["volume"])

    async def wait_for(
        self, probe: Callable[[], Awaitable[Any]], done: Callable[[Any], bool], timeout: float = 30
    ) -> Any:
        """Poll ``probe`` until ``done`` holds for its result (or fail at the deadline)."""
        deadline = time.monotonic() + timeout
        found = await probe()
        while not done(found):
            if time.monotonic() > deadline:
                raise AssertionError(f"condition not met within {timeout}s: {found}")
            await asyncio.sleep(0.02)
            found = await probe()
        return found

    async def wait_volume(self, volume_id: str, *statuses: str, timeout: float = 30) -> Any:
        return await self.wait_for(
            lambda: self.volume(volume_id), lambda v: v["status"] in statuses, timeout
        )

    async def available_volume(self, **fields: Any) -> dict[str, Any]:
        made = await self.create_volume(**fields)
        found = await self.wait_volume(made["id"], "available", "error")
        assert found["status"] == "available", found
        return dict(found)


def base_env(data_dir: Path, **extra: str) -> dict[str, str]:
    return {
        "NIMBOSTACK_DATA_DIR": str(data_dir),
        "NIMBOSTACK_VOLUME__REPORT_INTERVAL": "0.5",
        "NIMBOSTACK_VOLUME__ENABLED_BACKENDS": "file",
        "NIMBOSTACK_DEFAULT__HOST": "testhost",
        **extra,
    }


@pytest.fixture
async def cloud(tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[VolumeCloud]:
    """The service with the file backend; modules may parametrize it as ``<format>`` or
    ``<format>+postgres`` (its database on the session's PostgreSQL server)."""
    fmt, _, database = str(getattr(request, "param", "raw")).partition("+")
    env = base_env(tmp_path, NIMBOSTACK_BACKEND_FILE__VOLUME_FORMAT=fmt)
    name = f"volume_{uuid.uuid4().hex[:12]}"
    postgres = request.getfixturevalue("postgres_server") if database == "postgres" else None
    if postgres is not None:
        env["NIMBOSTACK_VOLUME__CONNECTION"] = postgres.create_database(name)
    running = VolumeCloud(tmp_path, env)
    await running.start()
    try:
        yield running
    finally:
        await running.stop()
        if postgres is not None:
            postgres.drop_database(name)


BOTH_FORMATS = pytest.mark.parametrize("cloud", ["raw", "qcow2"], indirect=True)
QCOW2 = pytest.mark.parametrize("cloud", ["qcow2"], indirect=True)
SQLITE_AND_POSTGRES = pytest.mark.parametrize(
    "cloud", ["raw", pytest.param("raw+postgres", marks=pytest.mark.postgres)], indirect=True
)


def fault(resp: httpx.Response) -> tuple[str, int, str]:
    """The Cinder fault of an error response: (key, code, message)."""
    body = resp.json()
    assert len(body) == 1, body
    key, inner = next(iter(body.items()))
    return key, int(inner["code"]), str(inner["message"])
