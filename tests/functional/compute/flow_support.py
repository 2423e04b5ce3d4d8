"""An in-process compute control plane for flow tests: conductor, scheduler, fake agents.

Placement is the real app on an in-memory HTTP transport (stub tokens, as in the
placement suite); the compute database is a real SQLite file; the bus is a private
``memory://`` one. Instances are recorded directly (what the API would do), so these
tests exercise conductor, scheduler, agents and placement without the compute API.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from nimbostack.clients.identity import Session
from nimbostack.clients.network import NetworkClient
from nimbostack.clients.placement import PlacementClient
from nimbostack.compute import states
from nimbostack.compute.agent.conductor_api import ConductorApi
from nimbostack.compute.agent.drivers import fake
from nimbostack.compute.agent.host import AgentHost
from nimbostack.compute.agent.images import ImageCache
from nimbostack.compute.agent.runner import AgentRunner
from nimbostack.compute.conductor.manager import ConductorManager
from nimbostack.compute.credentials import StaticAuth
from nimbostack.compute.db.models import Base, Instance, ServerGroup
from nimbostack.compute.messages import CONDUCTOR, SCHEDULER, BuildInstances
from nimbostack.compute.objects import actions, services
from nimbostack.compute.rpcapi import ComputeRpc
from nimbostack.compute.scheduler.manager import SchedulerManager
from nimbostack.compute.scheduler.request_spec import RequestSpec
from nimbostack.compute.service import MIGRATIONS
from nimbostack.compute.service_state import ComputeState
from nimbostack.core.config import load
from nimbostack.core.context import RequestContext
from nimbostack.core.db import Database
from nimbostack.core.db.engine import sqlite_url
from nimbostack.core.db.migrate import upgrade
from nimbostack.core.rpc import RpcServer, get_transport
from nimbostack.core.service import api_app
from nimbostack.placement.service import API as PLACEMENT_API
from tests.functional.placement.conftest import StubValidator, make_state
from tests.support.waiting import await_until

SMALL = {
    "flavorid": "1",
    "name": "small",
    "vcpus": 1,
    "memory_mb": 512,
    "root_gb": 1,
    "ephemeral_gb": 0,
    "swap": 0,
    "extra_specs": {},
}
LARGE = {
    "flavorid": "2",
    "name": "large",
    "vcpus": 2,
    "memory_mb": 1024,
    "root_gb": 2,
    "ephemeral_gb": 0,
    "swap": 0,
    "extra_specs": {},
}
PROJECT, USER = "p1", "u1"
# Each flow test builds fresh databases, so its first placement and conductor queries
# compile their SQL (35-60 ms of CPU, once per engine) where a running cloud does that
# once per process: flow tests allow each callback twice the usual time.
LOOP_WATCH = pytest.mark.loop_watch_ms(100)


class FlowCloud:
    def __init__(self, tmp: Path, *, db_url: str | None = None, **compute: Any) -> None:
        self.tmp = tmp
        self.db_url = db_url  # compute's database (default: a SQLite file in tmp)
        self.conf = load(None, environ={})
        self.conf.override("compute", force_config_drive=False, **compute)
        self.conf.override("compute_agent", reserved_host_memory_mb=0)
        self.transport = get_transport(f"memory://flow-{uuid.uuid4().hex}")
        self.rpc = ComputeRpc(self.transport, service="compute-test", timeout=10)
        self.agents: dict[str, AgentRunner] = {}
        self.servers: list[RpcServer] = []

    async def start(self) -> None:
        pstate = await make_state(self.tmp)
        app = api_app(PLACEMENT_API, pstate, validator=StubValidator(), enforcer=pstate.enforcer)
        self.placement_state = pstate
        self.http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), timeout=30)
        self.no_images = httpx.AsyncClient(
            transport=httpx.MockTransport(lambda _request: httpx.Response(404))
        )
        catalog = [
            {"type": "placement", "endpoints": [{"interface": "public", "url": "http://placement"}]}
        ]
        auth = StaticAuth(Session("admin", catalog))
        url = self.db_url or sqlite_url(self.tmp / "compute.sqlite")
        await asyncio.to_thread(upgrade, url, MIGRATIONS, Base.metadata)
        self.state = ComputeState(
            conf=self.conf,
            db=Database(url),
            rpc=self.rpc,
            auth=auth,
            placement=PlacementClient(auth, client=self.http),
        )
        for topic, endpoint in (
            (CONDUCTOR, ConductorManager(self.state)),
            (SCHEDULER, SchedulerManager(self.state)),
        ):
            server = RpcServer(self.transport, topic, endpoint, service=topic)
            await server.start()
            self.servers.append(server)

    async def add_host(
        self, name: str, network: Callable[[], NetworkClient] | None = None, **size: int
    ) -> fake.FakeDriver:
        driver = fake.make(name, **size)
        agent = AgentHost(
            host=name,
            driver=driver,
            conductor=ConductorApi(self.rpc, name),
            rpc=self.rpc,
            conf=self.conf,
            # No image service here; a client of its own would build a TLS context.
            images=ImageCache(self.tmp / "images", 3600, client=self.no_images),
            image_access=None,
            network=network,
        )
        runner = AgentRunner(agent)
        await runner.start(periodic=False)
        self.agents[name] = runner
        return driver

    def driver(self, host: str) -> fake.FakeDriver:
        drv = self.agents[host].agent.driver
        assert isinstance(drv, fake.FakeDriver)
        return drv

    async def stop(self) -> None:
        for runner in self.agents.values():
            await runner.stop()
        for server in self.servers:
            await server.stop()
        await self.transport.close()
        await self.state.db.close()
        await self.placement_state.db.close()
        await self.http.aclose()
        await self.no_images.aclose()

    # -- what the API would do -----------------------------------------------------
    async def record(
        self, n: int = 1, flavor: dict[str, Any] | None = None, **spec_fields: Any
    ) -> tuple[list[str], RequestSpec]:
        flavor = flavor or SMALL
        spec = RequestSpec(
            project_id=PROJECT, user_id=USER, flavor=flavor, num_instances=n, **spec_fields
        )
        ctx = RequestContext(user_id=USER, project_id=PROJECT)
        uuids = [str(uuid.uuid4()) for _ in range(n)]
        async with self.state.db.session() as s:
            for i, u in enumerate(uuids):
                s.add(
                    Instance(
                        uuid=u,
                        display_name=f"vm-{i}",
                        hostname=f"vm-{i}",
                        project_id=PROJECT,
                        user_id=USER,
                        image_ref="img-1",
                        flavor=flavor,
                        vm_state=states.BUILDING,
                        task_state=states.SCHEDULING,
                        created_at=time.time(),
                        request_spec=spec.to_dict(),
                        launch_index=i,
                    )
                )
                await actions.start_action(s, ctx, u, "create")
        self.ctx = ctx
        return uuids, spec

    async def boot(
        self, n: int = 1, flavor: dict[str, Any] | None = None, **spec_fields: Any
    ) -> list[str]:
        uuids, spec = await self.record(n, flavor, **spec_fields)
        await self.rpc.cast_conductor(self.ctx, BuildInstances(uuids, spec.to_dict()))
        return uuids

    async def group(self, policy: str, members: list[str] | None = None) -> str:
        gid = str(uuid.uuid4())
        async with self.state.db.session() as s:
            s.add(
                ServerGroup(
                    uuid=gid,
                    name="g",
                    project_id=PROJECT,
                    user_id=USER,
                    policy=policy,
                    members=members or [],
                    created_at=time.time(),
                )
            )
        return gid

    async def add_members(self, gid: str, uuids: list[str]) -> None:
        async with self.state.db.session() as s:
            group = await s.get(ServerGroup, gid)
            assert group is not None
            group.members = [*group.members, *uuids]

    async def instance(self, uuid_: str) -> Instance:
        async with self.state.db.session() as s:
            found = await s.get(Instance, uuid_)
            assert found is not None
            return found

    async def wait(
        self, uuid_: str, check: Callable[[Instance], bool], timeout: float = 10.0
    ) -> Instance:
        deadline = time.monotonic() + timeout
        while True:
            inst = await self.instance(uuid_)
            if check(inst):
                return inst
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"{uuid_}: vm_state={inst.vm_state} task_state={inst.task_state} "
                    f"host={inst.host}"
                )
            await asyncio.sleep(0.02)

    async def host_is_down(self, host: str) -> bool:
        """Whether the conductor now counts ``host``'s agent as down (no recent heartbeat)."""
        async with self.state.db.session() as s:
            svc = (await services.by_host(s)).get(host)
        down_after = float(self.conf.compute.service_down_time)
        return svc is not None and not services.is_up(svc, down_after)

    async def wait_host_down(self, host: str) -> None:
        # A killed agent stops its heartbeats; its host is down once the last one ages
        # past service_down_time.
        timeout = float(self.conf.compute.service_down_time) + 10.0
        await await_until(lambda: self.host_is_down(host), timeout, f"{host} seen down")

    async def wait_state(self, uuid_: str, vm_state: str, timeout: float = 10.0) -> Instance:
        return await self.wait(
            uuid_, lambda i: i.vm_state == vm_state and i.task_state is None, timeout
        )

    async def allocations(self, consumer: str) -> dict[str, Any]:
        found = await self.state.placement.get_allocations(consumer)
        return dict(found.get("allocations") or {})

    async def provider_of(self, host: str) -> str:
        from nimbostack.compute.objects import hosts

        async with self.state.db.session() as s:
            return (await hosts.by_host(s, host))[0].uuid

    async def usages(self, host: str) -> dict[str, int]:
        return await self.state.placement.usages(await self.provider_of(host))


async def set_task(flow: FlowCloud, uuid_: str, task_state: str | None, **values: Any) -> None:
    """What the API does before casting an action: set the task state (and more)."""
    from nimbostack.compute.objects import instances

    async with flow.state.db.session() as s:
        await instances.update(s, uuid_, {"task_state": task_state, **values})


async def active_server(flow: FlowCloud, flavor: dict[str, Any] | None = None) -> str:
    (uuid_,) = await flow.boot(flavor=flavor)
    await flow.wait_state(uuid_, states.ACTIVE)
    return uuid_
