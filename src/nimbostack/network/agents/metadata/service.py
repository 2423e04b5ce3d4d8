"""Starting the metadata agent of this host, in `up` or alone (``network/metadata_service.py``).

``start_metadata_agent`` builds it from [network_metadata]: its unix socket, compute's
metadata API, the shared secret of [metadata] and the namespace proxies (``proxies``,
which the DHCP and L3 agents of the same host call), whose stale entries it sweeps.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from nimbostack.core.config import Config
from nimbostack.core.metadata import settle_shared_secret
from nimbostack.core.periodic import PeriodicTask
from nimbostack.core.rpc import Transport
from nimbostack.network.agents.metadata import options as _options  # noqa: F401
from nimbostack.network.agents.metadata.agent import MetadataAgentRunner
from nimbostack.network.agents.metadata.forward import Forwarder
from nimbostack.network.agents.metadata.proxies import HaproxyProxies

PROXY_DIR = "metadata-proxy"


def socket_path(conf: Config, data_dir: Path) -> Path:
    """Where the proxies reach the agent."""
    configured = str(conf.network_metadata.socket_path)
    return Path(configured) if configured else data_dir / "metadata" / "metadata_proxy"


def nova_metadata_url(conf: Config) -> str:
    """Compute's metadata API, from [network_metadata], else from compute's own options."""
    options = conf.network_metadata
    host = str(options.nova_metadata_host or conf.DEFAULT.my_ip)
    port = int(options.nova_metadata_port or conf.section("compute").get("metadata_port", 8775))
    return f"http://{host}:{port}"


class HostMetadataAgent:
    """The running agent and the proxies that forward to it."""

    def __init__(self, runner: MetadataAgentRunner, proxies: HaproxyProxies, interval: float):
        self.runner = runner
        self.proxies = proxies
        self._sweep = PeriodicTask(
            "metadata proxy resync", interval, self.proxies.resync, at_once=True
        )

    async def start(self) -> None:
        await self.runner.start()
        self._sweep.start()

    async def stop(self) -> None:
        await self._sweep.stop()
        await self.runner.stop()


async def start_metadata_agent(
    conf: Config, transport: Transport, data_dir: Path
) -> HostMetadataAgent:
    """Build and start this host's metadata agent (its proxies are swept now and then)."""
    options = conf.network_metadata
    secret = await asyncio.to_thread(settle_shared_secret, conf, data_dir)
    forwarder = Forwarder(nova_metadata_url(conf), secret, int(options.max_response_size))
    where = socket_path(conf, data_dir)
    runner = MetadataAgentRunner(transport, where, forwarder, float(options.cache_ttl))
    proxies = HaproxyProxies(data_dir / PROXY_DIR, where)
    agent = HostMetadataAgent(runner, proxies, float(options.resync_interval))
    try:
        await agent.start()
    except BaseException:
        await forwarder.close()
        raise
    return agent
