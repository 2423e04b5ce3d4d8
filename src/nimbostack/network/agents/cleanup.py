"""Removing what this machine's networking agents made for one data directory.

``nimbostack cleanup --network`` runs this with the cloud stopped: the routers the L3
agent recorded (their metadata proxies, devices and ``qrouter-`` namespaces), the
networks the DHCP agent recorded (dnsmasq, proxies, ``qdhcp-`` namespaces), any metadata
proxy left in the data directory, the bridges and segment devices whose ifalias names
this host's L2 agent, and the external bridge with its masquerading table when the L3
agent manages it. What another cloud or agent on the machine made is never touched:
every item is found through this data directory's records or this host's ifalias.
"""

from __future__ import annotations

from pathlib import Path

from nimbostack.core import netdev
from nimbostack.core.config import Config
from nimbostack.network.agents.dhcp.agent import agent_settings
from nimbostack.network.agents.dhcp.network_server import NetworkServer, hosted_on_disk
from nimbostack.network.agents.l2_hosts import compute_hosts
from nimbostack.network.agents.l3 import runner as l3_runner
from nimbostack.network.agents.l3.router import RouterNamespace, made_on_disk
from nimbostack.network.agents.linuxbridge import wiring
from nimbostack.network.agents.metadata.proxies import HaproxyProxies
from nimbostack.network.agents.metadata.service import PROXY_DIR, socket_path
from nimbostack.network.dhcp_messages import namespace_name as dhcp_namespace
from nimbostack.network.l3_messages import namespace_name as router_namespace


async def remove_agents_work(conf: Config, data_dir: Path, base_host: str) -> list[str]:
    """Remove it all; the names of what was removed."""
    removed: list[str] = []
    proxies = HaproxyProxies(data_dir / PROXY_DIR, socket_path(conf, data_dir))
    routers = data_dir / "l3"
    for router_id in made_on_disk(routers):
        await RouterNamespace(router_id, routers, proxies).remove()
        removed.append(router_namespace(router_id))
    served = data_dir / "dhcp"
    settings = agent_settings(conf.network_dhcp)
    for network_id in hosted_on_disk(served):
        await NetworkServer(network_id, served, settings, proxies).remove(None)
        removed.append(dhcp_namespace(network_id))
    for namespace in await proxies.known():
        await proxies.remove(namespace)
        removed.append(f"metadata proxy {namespace}")
    host = compute_hosts(conf, base_host)[0]
    for devices in wiring.owned(await netdev.links(), host).values():
        for name in devices:
            if await netdev.delete(name):
                removed.append(name)
    if l3_runner.driver(conf) == "linux" and bool(conf.network_l3.manage_external_bridge):
        external = l3_runner.external_bridge(conf)
        await external.remove()
        removed.append(external.bridge)
    return removed
