"""The host's side of the external network: its bridge, address and masquerading.

The external network is flat on a physical network mapped to a host bridge (``br-ex``,
``[network_l2] bridge_mappings``). The host holds the external subnet's gateway address
on it (172.24.4.1/24 by default), forwards IPv4, and masquerades what it routes from
that network to any other interface, in an nft table of its own per bridge
(``nimbostack-external-<bridge>``), so clouds with different bridges on one machine
never touch each other's rules. The bridge itself is never removed by the agent.
"""

from __future__ import annotations

import asyncio
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from nimbostack.core import netdev
from nimbostack.network.agents.firewall.nft import Nft

TABLE_PREFIX = "nimbostack-external-"
FORWARDING = Path("/proc/sys/net/ipv4/ip_forward")


@dataclass(frozen=True)
class ExternalBridge:
    """The bridge and the host's ``address/prefix`` on it (empty: none, no NAT)."""

    bridge: str
    address: str = ""

    @property
    def table(self) -> str:
        return f"{TABLE_PREFIX}{self.bridge}"

    def ruleset(self) -> str:
        """The host table masquerading the bridge's network out of any other interface."""
        network = ipaddress.ip_interface(self.address).network
        return "\n".join(
            [
                f"table ip {self.table}",
                f"delete table ip {self.table}",
                f"table ip {self.table} {{",
                "    chain postrouting {",
                "        type nat hook postrouting priority srcnat; policy accept;",
                # Only what the host routes from the bridge to another interface: frames
                # bridged elsewhere (br_netfilter shows them to these hooks too, with the
                # bridge as their device) keep their addresses.
                f'        iifname "{self.bridge}" oifname != "{self.bridge}" ip saddr {network} '
                "masquerade",
                "    }",
                "}",
                "",
            ]
        )

    async def ensure(self) -> None:
        """Make the bridge (if missing), give it its address, forward and masquerade."""
        if await netdev.link(self.bridge) is None:
            await netdev.add_bridge(self.bridge)
        await netdev.set_up(self.bridge)
        if not self.address:
            return
        await netdev.add_address(self.bridge, self.address)
        await asyncio.to_thread(_forward)
        await Nft().apply(self.ruleset())

    async def remove(self) -> None:
        """Remove the masquerading table and the bridge (``cleanup``, tests)."""
        await Nft().apply(f"table ip {self.table}\ndelete table ip {self.table}\n")
        await netdev.delete(self.bridge)


def _forward() -> None:
    if FORWARDING.read_text().strip() != "1":
        FORWARDING.write_text("1\n")
