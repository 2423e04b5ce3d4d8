"""``nimbostack serve network-l3-agent``: this host's L3 agent alone, on the bus only."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from nimbostack.cmd import services as registry
from nimbostack.core.config import load
from nimbostack.core.context import RequestContext
from nimbostack.core.rpc import RpcServer, get_transport, handles
from nimbostack.core.runtime import Runtime
from nimbostack.network.agent_messages import PLUGIN, ReportState
from nimbostack.network.l3_messages import L3_AGENT_TYPE, GetRouters
from tests.support.requires import require
from tests.support.waiting import await_until


class Plugin:
    """network-server's side, reduced to recording what the agent asks."""

    def __init__(self) -> None:
        self.reports: list[ReportState] = []
        self.asked: list[GetRouters] = []

    @handles(ReportState)
    async def report_state(self, ctxt: RequestContext, msg: ReportState) -> str:
        self.reports.append(msg)
        return "agent-id"

    @handles(GetRouters)
    async def get_routers(self, ctxt: RequestContext, msg: GetRouters) -> list[object]:
        self.asked.append(msg)
        return []


async def _role(tmp_path: Path, driver: str) -> AsyncIterator[Plugin]:
    url = f"memory://l3-role-{uuid.uuid4().hex}"
    registry.import_all_options()
    env = {
        "NIMBOSTACK_DEFAULT__TRANSPORT_URL": url,
        "NIMBOSTACK_COMPUTE_AGENT__DRIVER": "fake",
        "NIMBOSTACK_COMPUTE_AGENT__HOST": "role-host",
        "NIMBOSTACK_NETWORK_L3__DRIVER": driver,
        # The role must not touch the machine's br-ex: no bridge of its own here.
        "NIMBOSTACK_NETWORK_L3__MANAGE_EXTERNAL_BRIDGE": "false",
    }
    runtime = Runtime(conf=load(None, environ=env), data_dir=tmp_path)
    found = Plugin()
    transport = get_transport(url)
    server = RpcServer(transport, PLUGIN, found, service="network-server")
    await server.start()
    service = registry.by_name("network-l3-agent").load(runtime)
    try:
        await service.start()
        yield found
    finally:
        await service.stop()
        await server.stop()
        await transport.close()


@pytest.fixture
async def fake_role(tmp_path: Path) -> AsyncIterator[Plugin]:
    async for found in _role(tmp_path, "fake"):
        yield found


@pytest.fixture
async def linux_role(tmp_path: Path) -> AsyncIterator[Plugin]:
    require(os.geteuid() == 0, "root", "the Linux L3 agent's namespaces")
    async for found in _role(tmp_path, "linux"):
        yield found


async def test_the_role_runs_the_fake_agent_which_reports_its_start(fake_role: Plugin) -> None:
    assert not registry.by_name("network-l3-agent").in_up
    await await_until(lambda: bool(fake_role.reports), 10, "the agent's first report")
    (first,) = fake_role.reports
    assert (first.agent_type, first.host, first.start_flag) == (L3_AGENT_TYPE, "role-host", True)
    assert [m.bind_ports for m in fake_role.asked] == [False]


async def test_the_role_runs_the_linux_agent_which_syncs_binding_router_ports(
    linux_role: Plugin, tmp_path: Path
) -> None:
    await await_until(lambda: bool(linux_role.asked), 10, "the agent's first sync")
    (first,) = linux_role.reports
    assert (first.agent_type, first.host) == (L3_AGENT_TYPE, "role-host")
    assert [(m.host, m.router_ids, m.bind_ports) for m in linux_role.asked] == [
        ("role-host", None, True)
    ]
    assert (tmp_path / "l3").is_dir()
