"""Whether this machine runs a DHCP agent, and starting it from the configuration."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from nimbostack.core.config import Config
from nimbostack.core.rpc import Transport
from nimbostack.network.agents.dhcp.agent import DhcpAgent, agent_settings
from nimbostack.network.agents.dhcp.plumbing import NamespaceProxies
from nimbostack.network.agents.l2_hosts import compute_hosts


def enabled(conf: Config) -> bool:
    """``[network_dhcp] enabled``; ``auto`` runs it with the QEMU compute driver only.

    The fake hypervisor's guests have no devices, so dnsmasq would serve nobody there.
    ``auto`` also needs what the agent needs (root for namespaces, and dnsmasq): an
    agent that reports itself alive but cannot serve would hold every port DOWN.
    """
    wanted = str(conf.network_dhcp.enabled)
    if wanted == "auto":
        capable = os.geteuid() == 0 and shutil.which("dnsmasq") is not None
        return capable and str(conf.compute_agent.driver) == "qemu"
    return wanted == "true"


async def start_dhcp_agent(
    conf: Config,
    transport: Transport,
    host: str,
    data_dir: Path,
    proxies: NamespaceProxies | None = None,
) -> DhcpAgent:
    options = conf.network_dhcp
    agent = DhcpAgent(
        transport,
        # DHCP ports bind to the host as this machine's L2 agent names it (compute's
        # host name when one is set), or no agent would wire their taps.
        compute_hosts(conf, host)[0],
        data_dir,
        agent_settings(options),
        report_interval=float(options.report_interval),
        resync_interval=float(options.resync_interval),
        proxies=proxies,
    )
    await agent.start()
    return agent
