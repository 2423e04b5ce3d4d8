"""Agents' state reports: what kind of agent one is, and the call saying it is alive."""

from __future__ import annotations

from dataclasses import dataclass

from nimbostack.core.context import RequestContext
from nimbostack.core.rpc import RpcClient
from nimbostack.network.agent_messages import (
    L2_AGENT,
    LINUXBRIDGE_AGENT,
    LINUXBRIDGE_BINARY,
    AgentConfiguration,
    ReportState,
)
from nimbostack.network.dhcp_messages import DHCP_AGENT, DHCP_AGENT_TYPE, DHCP_BINARY
from nimbostack.network.l3_messages import L3_AGENT, L3_AGENT_TYPE, L3_BINARY


@dataclass(frozen=True)
class AgentKind:
    """How an agent names itself to network-server (``GET /v2.0/agents`` shows it)."""

    agent_type: str
    binary: str
    topic: str


LINUXBRIDGE = AgentKind(LINUXBRIDGE_AGENT, LINUXBRIDGE_BINARY, L2_AGENT)
DHCP = AgentKind(DHCP_AGENT_TYPE, DHCP_BINARY, DHCP_AGENT)
L3 = AgentKind(L3_AGENT_TYPE, L3_BINARY, L3_AGENT)


async def report_state(
    plugin: RpcClient, kind: AgentKind, host: str, config: AgentConfiguration, start: bool
) -> None:
    """Tell network-server the agent on ``host`` is alive, with what it reports."""
    msg = ReportState(
        agent_type=kind.agent_type,
        binary=kind.binary,
        host=host,
        topic=kind.topic,
        configurations=config,
        start_flag=start,
    )
    await plugin.call(RequestContext.admin(), msg)
