"""Which L2 agents a machine runs, and starting them.

``[network_l2] driver`` picks the agent: the Linux-bridge agent wires this host's
devices (one agent, for the host compute runs guests on); the fake agent touches
nothing and stands in for each compute host this machine runs (each simulated host of
the fake hypervisor), so ports bind and go ACTIVE without root or devices. ``auto``
takes the Linux-bridge agent exactly when compute runs real guests (``qemu``).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Protocol

from nimbostack.core import netdev
from nimbostack.core.config import Config
from nimbostack.core.rpc import RpcClient, Transport
from nimbostack.network.agent_messages import PLUGIN, AgentConfiguration
from nimbostack.network.agents.fake import FakeL2Agent
from nimbostack.network.agents.firewall.driver import NftFirewall
from nimbostack.network.agents.linuxbridge.agent import LinuxBridgeAgent
from nimbostack.network.agents.linuxbridge.firewall import PortFirewall

LOG = logging.getLogger(__name__)


class L2Agent(Protocol):
    host: str

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


def driver(conf: Config) -> str:
    """The L2 agent this machine runs: ``linuxbridge`` or ``fake``."""
    chosen = str(conf.network_l2.driver)
    if chosen != "auto":
        return chosen
    return "linuxbridge" if conf.compute_agent.driver == "qemu" else "fake"


def compute_hosts(conf: Config, base: str) -> list[str]:
    """The compute hosts of this machine, named as compute names them."""
    agent = conf.compute_agent
    base = str(agent.host or base)
    count = int(agent.fake_hosts)
    if agent.driver != "fake" or count <= 1:
        return [base]
    return [f"{base}-fake{n}" for n in range(1, count + 1)]


def _pairs(entries: list[str]) -> dict[str, str]:
    return dict(entry.split(":", 1) for entry in entries if ":" in entry)


def configuration(conf: Config, tunneling_ip: str | None = None) -> AgentConfiguration:
    """What the agents of this machine report they can wire."""
    options = conf.network_l2
    return AgentConfiguration(
        bridge_mappings=_pairs(options.bridge_mappings),
        interface_mappings=_pairs(options.physical_interface_mappings),
        tunnel_types=[t for t in options.tunnel_types if t != "none"],
        tunneling_ip=str(options.local_ip) or tunneling_ip,
    )


def firewall(conf: Config, transport: Transport, host: str) -> PortFirewall | None:
    """The security-group firewall of the agent (``None``: noop)."""
    if conf.network_l2.firewall_driver != "nftables":
        return None
    plugin = RpcClient(transport, PLUGIN, timeout=30, service="network-l2-agent")
    return NftFirewall(plugin, host, table=str(conf.network_l2.firewall_table))


async def on_this_host(config: AgentConfiguration) -> AgentConfiguration:
    """The configuration less what this host lacks, so ports fail to bind, not to wire."""
    links = await netdev.links()
    for physnet, device in [*config.bridge_mappings.items(), *config.interface_mappings.items()]:
        if device not in links:
            LOG.warning("physical network %s: no device %s on this host", physnet, device)
    bridges = {p: d for p, d in config.bridge_mappings.items() if d in links}
    interfaces = {p: d for p, d in config.interface_mappings.items() if d in links}
    tunnels = config.tunnel_types if config.tunneling_ip else []
    if config.tunnel_types and not tunnels:
        LOG.warning("no tunneling IP ([network_l2] local_ip, or a default route): no VXLAN")
    return AgentConfiguration(
        bridge_mappings=bridges,
        interface_mappings=interfaces,
        tunnel_types=tunnels,
        tunneling_ip=config.tunneling_ip,
        vlan=await _makes_vlans(next(iter(interfaces.values()), None)),
    )


async def _makes_vlans(parent: str | None) -> bool:
    """Whether the kernel makes a VLAN device on ``parent`` (it may lack 8021q)."""
    if parent is None:
        return False
    probe = f"{parent[:10]}.4094"
    try:
        await netdev.add_vlan(probe, parent, 4094)
    except netdev.NetdevError as exc:
        LOG.warning("no VLAN devices on this host (%s): VLAN ports will not bind here", exc)
        return False
    await netdev.delete(probe)
    return True


async def start_l2_agents(conf: Config, transport: Transport, base: str) -> list[L2Agent]:
    options = conf.network_l2
    agents: list[L2Agent]
    if driver(conf) == "linuxbridge":
        local = None if options.local_ip else await netdev.default_route_address()
        host = compute_hosts(conf, base)[0]
        agents = [
            LinuxBridgeAgent(
                transport,
                host,
                await on_this_host(configuration(conf, local)),
                firewall(conf, transport, host),
                report_interval=float(options.report_interval),
                polling_interval=float(options.polling_interval),
            )
        ]
    else:
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
