"""Serving one network on this host: its namespace, dnsmasq and files, made or removed.

``apply`` is idempotent: it plugs the DHCP port into the namespace, rewrites the hosts
and options files (atomically: a reload never reads half a file), then starts dnsmasq
if none runs, restarts it if its command line changed, or SIGHUPs it if only the files
changed (same pid). ``remove`` undoes all of it, whatever is left.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
from pathlib import Path

from nimbostack.network.agents.dhcp import config, dnsmasq, plumbing
from nimbostack.network.agents.dhcp.config import Files, Settings
from nimbostack.network.agents.dhcp.plumbing import NamespaceProxies
from nimbostack.network.dhcp_messages import NetworkInfo, PortInfo, namespace_name

LOG = logging.getLogger(__name__)


def hosted_on_disk(root: Path) -> list[str]:
    """The networks with a state directory under ``root``."""
    if not root.is_dir():
        return []
    return sorted(entry.name for entry in root.iterdir() if entry.is_dir())


def _write(path: Path, text: str) -> bool:
    """Replace the file's content atomically; whether it changed."""
    with contextlib.suppress(OSError):
        if path.read_text() == text:
            return False
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)
    return True


class NetworkServer:
    """The DHCP server of one network on this host."""

    def __init__(
        self, network_id: str, root: Path, settings: Settings, proxies: NamespaceProxies | None
    ) -> None:
        self.network_id = network_id
        self.files = Files(root / network_id)
        self.settings = settings
        self.proxies = proxies
        self.namespace = namespace_name(network_id)

    def serves(self, info: NetworkInfo) -> bool:
        """Whether the network has anything for dnsmasq to serve."""
        return bool(config.served(info))

    def port_complete(self, info: NetworkInfo, port: PortInfo) -> bool:
        """Whether the DHCP port has an address on every served subnet."""
        held = {ip.subnet_id for ip in port.fixed_ips}
        return all(sub.id in held for sub in config.served(info))

    async def apply(self, info: NetworkInfo, port: PortInfo) -> dict[str, tuple[str, ...]]:
        """Serve the network as ``info`` says; the ports dnsmasq now has entries for."""
        metadata = config.metadata_here(info, self.settings)
        subnets = config.served(info)
        interface = await plumbing.plug(info.id, port, subnets, info.mtu, metadata)
        argv = config.argv(info, interface, self.files, self.settings)
        hosts = config.hosts(info)
        opts = config.opts(info, port, self.settings)
        changed = await asyncio.to_thread(self._write_files, hosts, opts)
        running = dnsmasq.running_argv(self.files)
        if running is not None and running != argv:
            await dnsmasq.stop(self.files)
            running = None
        if running is None:
            await dnsmasq.start(self.namespace, argv, self.files)
        elif changed:
            dnsmasq.reload(self.files)
        await self._metadata(metadata)
        return config.hosted_ports(info)

    def _write_files(self, hosts: str, opts: str) -> bool:
        self.files.root.mkdir(parents=True, exist_ok=True)
        changed = _write(self.files.hosts, hosts)
        return _write(self.files.opts, opts) or changed

    async def _metadata(self, wanted: bool) -> None:
        if self.proxies is None:
            return
        try:
            if wanted:
                await self.proxies.ensure(self.namespace, network_id=self.network_id)
            else:
                await self.proxies.remove(self.namespace)
        except Exception:
            # Guests then miss 169.254.169.254 here, but still get their addresses.
            LOG.exception("%s: metadata proxy not updated", self.namespace)

    async def remove(self, port_id: str | None) -> None:
        """Stop serving the network here: dnsmasq, proxy, namespace and files."""
        await dnsmasq.stop(self.files)
        if self.proxies is not None:
            await self.proxies.remove(self.namespace)
        await plumbing.unplug(self.network_id, port_id)
        await asyncio.to_thread(shutil.rmtree, self.files.root, True)
