"""``nimbostack serve network-l2-agent``: this host's L2 agents alone, on the bus only."""

from __future__ import annotations

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
from tests.support.waiting import await_until


class Plugin:
    """network-server's side, reduced to recording state reports."""

    def __init__(self) -> None:
        self.reports: list[ReportState] = []

    @handles(ReportState)
    async def report_state(self, ctxt: RequestContext, msg: ReportState) -> str:
        self.reports.append(msg)
        return "agent-id"


@pytest.fixture
async def plugin(tmp_path: Path) -> AsyncIterator[Plugin]:
    """The role started (start-up work, off the watched test) against a recording server."""
    url = f"memory://l2-role-{uuid.uuid4().hex}"
    registry.import_all_options()
    env = {
        "NIMBOSTACK_DEFAULT__TRANSPORT_URL": url,
        "NIMBOSTACK_COMPUTE_AGENT__DRIVER": "fake",
        "NIMBOSTACK_COMPUTE_AGENT__HOST": "role-host",
    }
    runtime = Runtime(conf=load(None, environ=env), data_dir=tmp_path)
    found = Plugin()
    transport = get_transport(url)
    server = RpcServer(transport, PLUGIN, found, service="network-server")
    await server.start()
    service = registry.by_name("network-l2-agent").load(runtime)
    try:
        await service.start()
        yield found
    finally:
        await service.stop()
        await server.stop()
        await transport.close()


async def test_the_role_runs_this_hosts_agent_which_reports_its_start(plugin: Plugin) -> None:
    assert not registry.by_name("network-l2-agent").in_up
    await await_until(lambda: bool(plugin.reports), 10, "the agent's first report")
    (first,) = plugin.reports
    assert (first.host, first.start_flag) == ("role-host", True)
