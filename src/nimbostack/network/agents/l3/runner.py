"""Which L3 agent this machine runs, and starting it from the configuration.

``[network_l3] driver``: ``linux`` builds routers in namespaces, ``fake`` builds
nothing and reports floating IPs ACTIVE; ``auto`` takes ``linux`` exactly when compute
runs real guests (``qemu``) and this machine can build routers, as the L2 and DHCP
agents choose. The Linux agent runs
under the same host name as this machine's L2 agent, which wires its ports.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Protocol

from nimbostack.core.config import Config
from nimbostack.core.rpc import Transport
from nimbostack.network.agents.dhcp.plumbing import NamespaceProxies
from nimbostack.network.agents.fake_l3 import FakeL3Agent
from nimbostack.network.agents.l2_hosts import compute_hosts
from nimbostack.network.agents.l3.agent import L3Agent
from nimbostack.network.agents.l3.external import ExternalBridge


class RunningL3Agent(Protocol):
    host: str

    async def stop(self) -> None: ...


def driver(conf: Config) -> str:
    """The L3 agent this machine runs: ``linux`` or ``fake``.

    ``auto`` also needs what the Linux agent needs (root for namespaces, and nft): an
    agent that reports itself alive but cannot build would leave routers unbuilt.
    """
    chosen = str(conf.network_l3.driver)
    if chosen != "auto":
        return chosen
    capable = os.geteuid() == 0 and shutil.which("nft") is not None
    return "linux" if capable and conf.compute_agent.driver == "qemu" else "fake"


def external_bridge(conf: Config) -> ExternalBridge:
    options = conf.network_l3
    return ExternalBridge(str(options.external_bridge), str(options.external_bridge_address))


async def prepare_host(conf: Config) -> None:
    """Make the external bridge before the L2 agent looks for its mapped bridges."""
    if driver(conf) == "linux" and bool(conf.network_l3.manage_external_bridge):
        await external_bridge(conf).ensure()


async def start_l3_agent(
    conf: Config,
    transport: Transport,
    base: str,
    data_dir: Path,
    proxies: NamespaceProxies | None = None,
) -> RunningL3Agent:
    options = conf.network_l3
    host = compute_hosts(conf, base)[0]
    if driver(conf) != "linux":
        fake = FakeL3Agent(transport, host, report_interval=float(options.report_interval))
        await fake.start()
        return fake
    await prepare_host(conf)
    agent = L3Agent(
        transport,
        host,
        data_dir,
        proxies=proxies,
        report_interval=float(options.report_interval),
        resync_interval=float(options.resync_interval),
    )
    await agent.start()
    return agent
