"""Which L2 agents a machine runs, and starting them.

Only the fake agent exists so far: it stands in for the Linux-bridge agent of each
compute host this machine runs (each simulated host of the fake hypervisor, or this
host), so ports bind and go ACTIVE while nothing is wired on the host. With the real
hypervisor a guest's tap is therefore on no bridge until the real agent arrives.
"""

from __future__ import annotations

import asyncio

from nimbostack.core.config import Config
from nimbostack.core.rpc import Transport
from nimbostack.network.agent_messages import AgentConfiguration
from nimbostack.network.agents.fake import FakeL2Agent


def compute_hosts(conf: Config, base: str) -> list[str]:
    """The compute hosts of this machine, named as compute names them."""
    agent = conf.compute_agent
    base = str(agent.host or base)
    count = int(agent.fake_hosts)
    if agent.driver != "fake" or count <= 1:
        return [base]
    return [f"{base}-fake{n}" for n in range(1, count + 1)]


def configuration(conf: Config) -> AgentConfiguration:
    """What the agents of this machine report they can wire."""
    options = conf.l2_agent
    mappings = dict(entry.split(":", 1) for entry in options.bridge_mappings if ":" in entry)
    return AgentConfiguration(
        bridge_mappings=mappings,
        tunnel_types=[t for t in options.tunnel_types if t != "none"],
        tunneling_ip=str(options.local_ip) or None,
    )


async def start_l2_agents(conf: Config, transport: Transport, base: str) -> list[FakeL2Agent]:
    options = conf.l2_agent
    agents = [
        FakeL2Agent(
            transport,
            host,
            configuration(conf),
            report_interval=float(options.report_interval),
            device_delay=float(options.device_delay),
        )
        for host in compute_hosts(conf, base)
    ]
    await asyncio.gather(*(agent.start() for agent in agents))
    return agents
