"""The DHCP agents' RPC contract: what they ask network-server, and what it tells them.

Topics: ``network.dhcp_plugin`` (the server's DHCP handlers, competing between server
processes) and ``network.dhcp`` (every DHCP agent; ``network.dhcp.<host>`` reaches the
one on a host). The agent reports its state on ``network.plugin`` with ``ReportState``
(agent_type ``DHCP agent``). Everything a network's dnsmasq needs travels as one typed
``NetworkInfo``; the server's notifications name only the network (and port) changed.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from nimbostack.core.rpc import Message

DHCP_PLUGIN = "network.dhcp_plugin"
DHCP_AGENT = "network.dhcp"
DHCP_AGENT_TYPE = "DHCP agent"
DHCP_BINARY = "neutron-dhcp-agent"
DHCP_OWNER = "network:dhcp"
# IPv6 address modes dnsmasq serves (SLAAC and router advertisements are the router's).
DHCPV6_STATEFUL = "dhcpv6-stateful"
DHCPV6_STATELESS = "dhcpv6-stateless"


@dataclass
class HostRoute:
    destination: str
    nexthop: str


@dataclass
class SubnetInfo:
    """One subnet as dnsmasq serves it."""

    id: str
    cidr: str
    ip_version: int = 4
    gateway_ip: str | None = None
    enable_dhcp: bool = True
    dns_nameservers: list[str] = field(default_factory=list)
    host_routes: list[HostRoute] = field(default_factory=list)
    ipv6_ra_mode: str | None = None
    ipv6_address_mode: str | None = None

    @property
    def served(self) -> bool:
        """Whether dnsmasq hands out addresses or options on this subnet."""
        if not self.enable_dhcp:
            return False
        return self.ip_version == 4 or self.ipv6_address_mode in (
            DHCPV6_STATEFUL,
            DHCPV6_STATELESS,
        )


@dataclass
class FixedIp:
    subnet_id: str
    ip_address: str


@dataclass
class PortInfo:
    """One port of the network: a host entry of dnsmasq (or the DHCP port itself)."""

    id: str
    mac_address: str
    fixed_ips: list[FixedIp] = field(default_factory=list)
    hostname: str = ""
    device_owner: str = ""
    admin_state_up: bool = True


@dataclass
class NetworkInfo:
    """What a DHCP agent needs to serve one network (``id`` empty: no such network)."""

    id: str
    mtu: int = 1500
    dns_domain: str = ""
    subnets: list[SubnetInfo] = field(default_factory=list)
    ports: list[PortInfo] = field(default_factory=list)
    dhcp_port: PortInfo | None = None
    # No router interface on the network: the DHCP namespace answers metadata.
    isolated: bool = True


# -------------------------------------------------------------- agents -> server
@dataclass
class GetActiveNetworks(Message):
    """DHCP agent -> server (network.dhcp_plugin), call: the ids of the networks it hosts.

    Networks with a DHCP-enabled subnet that no agent hosts yet are scheduled to the
    caller first.
    """

    name = "GetActiveNetworks"
    host: str


@dataclass
class GetNetworkInfo(Message):
    """DHCP agent -> server, call: the ``NetworkInfo`` of a network it hosts."""

    name = "GetNetworkInfo"
    network_id: str
    host: str


@dataclass
class CreateDhcpPort(Message):
    """DHCP agent -> server, call: the agent's DHCP port on the network (made if missing).

    The port has an address on every DHCP-enabled subnet and is bound to the agent's
    host, so that host's L2 agent wires its tap. Its ``PortInfo`` is returned (``id``
    empty: the network has nothing to serve, or is gone).
    """

    name = "CreateDhcpPort"
    network_id: str
    host: str


@dataclass
class ReleaseDhcpPort(Message):
    """DHCP agent -> server, call: the network has nothing left to serve; delete the
    agent's DHCP port there (whether there was one)."""

    name = "ReleaseDhcpPort"
    network_id: str
    host: str


@dataclass
class DhcpReady(Message):
    """DHCP agent -> server, call: dnsmasq serves these ports; lift their DHCP blocks."""

    name = "DhcpReady"
    port_ids: list[str]
    host: str


# -------------------------------------------------------------- server -> agents
@dataclass
class NetworkChanged(Message):
    """server -> network.dhcp.<host>, cast: a hosted network or its subnets changed."""

    name = "NetworkChanged"
    network_id: str


@dataclass
class PortChanged(Message):
    """server -> network.dhcp.<host>, cast: a port of a hosted network was made or changed."""

    name = "PortChanged"
    network_id: str
    port_id: str


@dataclass
class PortRemoved(Message):
    """server -> network.dhcp.<host>, cast: a port of a hosted network is gone."""

    name = "PortRemoved"
    network_id: str
    port_id: str


@dataclass
class NetworkRemoved(Message):
    """server -> network.dhcp, fanout: a network is gone; stop serving it."""

    name = "NetworkRemoved"
    network_id: str


def dhcp_device_id(host: str, network_id: str) -> str:
    """The ``device_id`` of a host's DHCP port on a network (stable across restarts)."""
    return f"dhcp{uuid.uuid5(uuid.NAMESPACE_DNS, host)}-{network_id}"


def namespace_name(network_id: str) -> str:
    """The namespace of a network's DHCP server: ``qdhcp-<net-id>``."""
    return f"qdhcp-{network_id}"


def ns_device_name(port_id: str) -> str:
    """The namespace end of the DHCP port's veth: ``ns-<port-id[:11]>``."""
    return f"ns-{port_id[:11]}"
