"""Anti-spoofing: what a port may send, as its ``spoof-<port>`` chain of the bridge table.

A guest sends only from its MAC and its fixed IPs (plus its allowed address pairs), in
Ethernet, ARP (sender MAC and IP), IPv4 and IPv6 (its link-local address derived from
each allowed MAC included). The unspecified addresses are allowed only where a client
needs them: 0.0.0.0 for DHCPDISCOVER and ARP probes, ``::`` for duplicate address
detection and MLD reports. DHCP server replies (UDP from 67 or 547) and router
advertisements are dropped, as is every other ethertype. A frame that passes goes to
``mark-<port>``, which writes the port's index in the high half of the packet mark so
the inet table knows which port sent it.
"""

from __future__ import annotations

import ipaddress

from nimbostack.network.agent_messages import DeviceDetails
from nimbostack.network.agents.firewall.rules import Network, collapse

SRC_SHIFT = 16
DST_MASK = 0x0000FFFF
SRC_MASK = 0xFFFF0000
DHCP_DISCOVER = "ip daddr 255.255.255.255 udp sport 68 udp dport 67"
UNSPECIFIED_V6 = "icmpv6 type { nd-neighbor-solicit, mld-listener-report, mld2-listener-report }"


def spoof_chain(port: DeviceDetails) -> str:
    return f"spoof-{port.port_id}"


def mark_chain(port: DeviceDetails) -> str:
    return f"mark-{port.port_id}"


def macs_of(port: DeviceDetails) -> list[str]:
    """The MACs a port may send from: its own and those of its address pairs."""
    found = [port.mac_address.lower()]
    for pair in port.allowed_address_pairs:
        mac = (pair.mac_address or port.mac_address).lower()
        if mac not in found:
            found.append(mac)
    return found


def addresses_of(port: DeviceDetails, version: int) -> tuple[Network, ...]:
    """The source addresses of one version a port may use (merged, no overlaps)."""
    given = [*port.fixed_ips, *(p.ip_address for p in port.allowed_address_pairs)]
    if version == 6:
        given += [str(link_local(mac)) for mac in macs_of(port)]
    return collapse(given, version)


def link_local(mac: str) -> ipaddress.IPv6Address:
    """The EUI-64 link-local address of a MAC (fe80::/64, universal bit flipped)."""
    octets = [int(part, 16) for part in mac.split(":")]
    octets[0] ^= 0x02
    eui = [*octets[:3], 0xFF, 0xFE, *octets[3:]]
    return ipaddress.IPv6Address(bytes([0xFE, 0x80, 0, 0, 0, 0, 0, 0, *eui]))


def _elements(items: object) -> str:
    assert isinstance(items, (list, tuple))
    return "{ " + ", ".join(str(i) for i in items) + " }"


def chains(port: DeviceDetails, index: int) -> list[str]:
    """The port's ``spoof-`` and ``mark-`` chains."""
    macs = _elements(macs_of(port))
    v4, v6 = addresses_of(port, 4), addresses_of(port, 6)
    mark = f"goto {mark_chain(port)}"
    lines = [
        f"ether saddr != {macs} drop",
        f"ether type arp arp saddr ether != {macs} drop",
        f"ether type arp arp saddr ip 0.0.0.0 {mark}",
    ]
    if v4:
        lines.append(f"ether type arp arp saddr ip {_elements(v4)} {mark}")
    lines += [
        f"ether type ip ip saddr 0.0.0.0 {DHCP_DISCOVER} {mark}",
        "ether type ip udp sport 67 drop",
    ]
    if v4:
        lines.append(f"ether type ip ip saddr {_elements(v4)} {mark}")
    lines += [
        "ether type ip6 udp sport 547 drop",
        "ether type ip6 icmpv6 type nd-router-advert drop",
        f"ether type ip6 ip6 saddr :: {UNSPECIFIED_V6} {mark}",
        f"ether type ip6 ip6 saddr {_elements(v6)} {mark}",
        "drop",
    ]
    marking = [f"meta mark set meta mark & {DST_MASK:#010x} | {index << SRC_SHIFT:#010x} accept"]
    return [_chain(spoof_chain(port), lines), _chain(mark_chain(port), marking)]


def _chain(name: str, lines: list[str]) -> str:
    body = "".join(f"    {line}\n" for line in lines)
    return f"  chain {name} {{\n{body}  }}\n"
