"""Compute and block storage in-process together, for volume attachment tests.

Block storage is its real service (tests/functional/volume/conftest.py) with the file
backend on host "testhost"; compute is the flow cloud (conductor, scheduler, one fake
agent on "testhost", real placement) with its real API app on top. Both accept the
block storage suite's tokens ("member" and "reader" of project-a, "other" of
project-b, "admin"); compute calls block storage with the caller's token and the
service token "service", over the volume app's in-memory transport.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

from nimbostack.clients.identity import Session
from nimbostack.compute import policies, states
from nimbostack.compute.agent.drivers import fake
from nimbostack.compute.credentials import StaticAuth
from nimbostack.compute.db.models import BlockDeviceMapping, Instance, InstanceFault
from nimbostack.compute.service import API
from nimbostack.compute.volume_access import VolumeAccess
from nimbostack.core.auth.policy import Enforcer
from nimbostack.core.service import api_app
from tests.functional.compute.flow_support import FlowCloud
from tests.functional.volume.conftest import StubValidator, VolumeCloud, base_env

HOST = "testhost"
PROJECTS = {"member": "project-a", "reader": "project-a", "other": "project-b"}
CATALOG = [
    {"type": "placement", "endpoints": [{"interface": "public", "url": "http://placement"}]},
    {"type": "block-storage", "endpoints": [{"interface": "public", "url": "http://volume/v3"}]},
]


class AttachCloud:
    def __init__(self, tmp: Path, db_url: str | None = None, **volume_env: str) -> None:
        (tmp / "volume").mkdir()
        (tmp / "compute").mkdir()
        self.volumes = VolumeCloud(tmp / "volume", base_env(tmp / "volume", **volume_env))
        self.flow = FlowCloud(tmp / "compute", db_url=db_url)

    async def start(self) -> None:
        await self.volumes.start()
        await self.flow.start()
        self.volume_http = httpx.AsyncClient(transport=self.volumes.transport, timeout=30)
        access = VolumeAccess(StaticAuth(Session("service", CATALOG)), self.volume_http)
        state = self.flow.state
        state.extra["volumes"] = access
        state.enforcer = Enforcer(policies.rules())
        self.driver: fake.FakeDriver = await self.flow.add_host(HOST)
        self.flow.agents[HOST].agent.volumes = access
        app = api_app(API, state, validator=StubValidator(), enforcer=state.enforcer)
        self.http = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://compute", timeout=30
        )

    async def stop(self) -> None:
        await self.http.aclose()
        await self.volume_http.aclose()
        await self.flow.stop()
        await self.volumes.stop()

    async def server(self, token: str = "member") -> str:
        """An active server of the token's project on the fake host."""
        (uuid,) = await self.flow.boot()
        await self.flow.wait_state(uuid, states.ACTIVE)
        async with self.flow.state.db.session() as s:
            row = await s.get(Instance, uuid)
            assert row is not None
            row.project_id, row.user_id = PROJECTS[token], f"{token}-user"
        return uuid

    async def set_state(self, server: str, **values: Any) -> None:
        async with self.flow.state.db.session() as s:
            row = await s.get(Instance, server)
            assert row is not None
            for key, value in values.items():
                setattr(row, key, value)

    async def call(
        self, method: str, path: str, body: Any = None, *, token: str = "member",
        version: str = "2.89",
    ) -> httpx.Response:  # fmt: skip
        headers = {"X-Auth-Token": token, "OpenStack-API-Version": f"compute {version}"}
        return await self.http.request(
            method, f"/v2.1{path}", headers=headers, json=body if body is not None else None
        )

    async def attach(self, server: str, volume_id: str, **fields: Any) -> httpx.Response:
        token = fields.pop("token", "member")
        version = fields.pop("version", "2.89")
        body = {"volumeAttachment": {"volumeId": volume_id, **fields}}
        return await self.call(
            "POST", f"/servers/{server}/os-volume_attachments", body, token=token, version=version
        )

    async def detach(self, server: str, volume_id: str, token: str = "member") -> httpx.Response:
        path = f"/servers/{server}/os-volume_attachments/{volume_id}"
        return await self.call("DELETE", path, token=token)

    async def last_fault(self, server: str) -> str:
        async with self.flow.state.db.session() as s:
            found = await s.scalar(
                select(InstanceFault.message)
                .where(InstanceFault.instance_uuid == server)
                .order_by(InstanceFault.id.desc())
            )
        return str(found)

    async def mappings(self, server: str) -> list[BlockDeviceMapping]:
        async with self.flow.state.db.session() as s:
            rows = await s.scalars(
                select(BlockDeviceMapping).where(BlockDeviceMapping.instance_uuid == server)
            )
            return list(rows.all())
