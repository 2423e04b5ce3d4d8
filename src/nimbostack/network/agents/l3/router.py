"""One router on this host: its namespace, ports, NAT table and metadata proxy.

``apply`` is idempotent and records the router in the agent's state directory
(``<data>/l3/<router-id>``) before making anything, so a later resync removes exactly
the routers this agent made and never another cloud's ``qrouter-`` namespace.
``remove`` undoes all of it, whatever is left.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
from collections.abc import Iterable
from pathlib import Path

from nimbostack.network.agents.dhcp.plumbing import NamespaceProxies
from nimbostack.network.agents.firewall.nft import Nft
from nimbostack.network.agents.l3 import nat, plumbing
from nimbostack.network.agents.metadata.haproxy import ROUTER_PORT
from nimbostack.network.l3_messages import RouterInfo, namespace_name

LOG = logging.getLogger(__name__)


def made_on_disk(root: Path) -> list[str]:
    """The routers this agent recorded under ``root``."""
    if not root.is_dir():
        return []
    return sorted(entry.name for entry in root.iterdir() if entry.is_dir())


def wants_metadata(router: RouterInfo) -> bool:
    """Whether guests behind the router reach metadata through it (an IPv4 interface)."""
    return any(
        ipaddress.ip_network(address.cidr).version == 4
        for port in router.interfaces
        for address in port.addresses
    )


class RouterNamespace:
    """The dataplane of one router on this host."""

    def __init__(self, router_id: str, root: Path, proxies: NamespaceProxies | None) -> None:
        self.router_id = router_id
        self.record = root / router_id
        self.proxies = proxies
        self.namespace = namespace_name(router_id)

    async def apply(self, router: RouterInfo, retired: Iterable[str] = ()) -> list[str]:
        """Build the router as ``router`` says (cutting the flows of the ``retired``
        floating IPs); the floating IPs that now translate."""
        await asyncio.to_thread(self.record.mkdir, parents=True, exist_ok=True)
        added = await plumbing.plug(self.namespace, router)
        metadata = self.proxies is not None and wants_metadata(router)
        port = ROUTER_PORT if metadata else None
        await Nft(self.namespace).apply(nat.ruleset(router, port, retired))
        await self._metadata(metadata)
        fips = nat.floating_ips(router)
        if router.gateway is not None:
            qg = nat.gateway_device(router.gateway)
            for address in added:
                await plumbing.announce(self.namespace, qg, address)
        return [fip.id for fip in fips]

    async def _metadata(self, wanted: bool) -> None:
        if self.proxies is None:
            return
        try:
            if wanted:
                await self.proxies.ensure(self.namespace, router_id=self.router_id)
            else:
                await self.proxies.remove(self.namespace)
        except Exception:
            # Guests then miss 169.254.169.254 through this router; routing still works.
            LOG.exception("%s: metadata proxy not updated", self.namespace)

    async def remove(self) -> None:
        """Remove the router from this host: proxy, devices, namespace and record."""
        if self.proxies is not None:
            # haproxy holds the namespace: it would outlive its name with the devices in it.
            await self.proxies.remove(self.namespace)
        await plumbing.unplug(self.namespace)
        with contextlib.suppress(FileNotFoundError):
            await asyncio.to_thread(self.record.rmdir)
