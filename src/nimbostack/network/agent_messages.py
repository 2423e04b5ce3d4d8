"""The networking agents' RPC contract: network-server to agents, and agents to the server.

Topics: ``network.plugin`` (the server's handlers, competing between server processes)
and ``network.l2`` (every L2 agent; ``network.l2.<host>`` reaches the one on a host).
Ports, networks and groups travel by id; what an agent needs to wire a device it asks
for with ``GetDeviceDetails`` and receives as a typed ``DeviceDetails``. VXLAN networks
carry no multicast: the server tells agents where remote ports are (l2population), with
``GetTunnelPeers`` when an agent wires a network and ``FdbAdd``/``FdbRemove`` after.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from nimbostack.core.rpc import Message

PLUGIN = "network.plugin"
L2_AGENT = "network.l2"
LINUXBRIDGE_AGENT = "Linux bridge agent"
LINUXBRIDGE_BINARY = "neutron-linuxbridge-agent"
TAP_PREFIX = "tap"


@dataclass
class AgentConfiguration:
    """What an L2 agent can wire: physical networks to host devices, and tunnels."""

    bridge_mappings: dict[str, str] = field(default_factory=dict)
    interface_mappings: dict[str, str] = field(default_factory=dict)
    tunnel_types: list[str] = field(default_factory=list)
    tunneling_ip: str | None = None
    devices: int = 0
    # Whether the host's kernel makes VLAN sub-interfaces (8021q) on its mapped interfaces.
    vlan: bool = True


@dataclass
class AddressPair:
    """An allowed address pair of a port: more addresses (a CIDR too) it may send from."""

    ip_address: str
    mac_address: str


@dataclass
class DeviceDetails:
    """What an L2 agent needs to wire one port's device (empty ids: no such port)."""

    device: str
    port_id: str = ""
    network_id: str = ""
    mac_address: str = ""
    admin_state_up: bool = False
    network_type: str = ""
    physical_network: str | None = None
    segmentation_id: int | None = None
    mtu: int = 1500
    fixed_ips: list[str] = field(default_factory=list)
    security_group_ids: list[str] = field(default_factory=list)
    port_security_enabled: bool = True
    device_owner: str = ""
    allowed_address_pairs: list[AddressPair] = field(default_factory=list)


@dataclass
class SecurityGroupRuleInfo:
    """One rule as a firewall needs it (``protocol`` as stored: a name, a number, None)."""

    id: str
    security_group_id: str
    direction: str
    ethertype: str
    protocol: str | None = None
    port_range_min: int | None = None
    port_range_max: int | None = None
    remote_ip_prefix: str | None = None
    remote_group_id: str | None = None
    remote_address_group_id: str | None = None


@dataclass
class SecurityGroupInfo:
    """A security group's rules."""

    id: str
    stateful: bool = True
    rules: list[SecurityGroupRuleInfo] = field(default_factory=list)


@dataclass
class GroupAddresses:
    """The addresses of a remote group's member ports, or of an address group (CIDRs)."""

    id: str
    addresses: list[str] = field(default_factory=list)


@dataclass
class SecurityGroupsInfo:
    """The reply to ``GetSecurityGroupsInfo``: the groups asked for, and their remotes."""

    groups: list[SecurityGroupInfo] = field(default_factory=list)
    remote_groups: list[GroupAddresses] = field(default_factory=list)
    address_groups: list[GroupAddresses] = field(default_factory=list)


@dataclass
class PeerPort:
    """A port on another host: its MAC and fixed IPs."""

    mac: str
    ips: list[str] = field(default_factory=list)


@dataclass
class TunnelPeer:
    """Another host's VTEP on a VXLAN network, with the ports of the network there."""

    tunnel_ip: str
    ports: list[PeerPort] = field(default_factory=list)


# -------------------------------------------------------------- agents -> server
@dataclass
class ReportState(Message):
    """agent -> server (network.plugin), call: the agent is alive; record its state."""

    name = "ReportState"
    agent_type: str
    binary: str
    host: str
    topic: str
    configurations: AgentConfiguration
    start_flag: bool = False
    availability_zone: str | None = None


@dataclass
class GetDeviceDetails(Message):
    """L2 agent -> server, call: the ``DeviceDetails`` of a device (a tap or a port id)."""

    name = "GetDeviceDetails"
    device: str
    host: str


@dataclass
class GetSecurityGroupsInfo(Message):
    """L2 agent -> server, call: the rules of these groups, as ``SecurityGroupsInfo``.

    The reply also holds the member addresses of every remote group and address group
    the rules name (missing groups are left out).
    """

    name = "GetSecurityGroupsInfo"
    security_group_ids: list[str]


@dataclass
class UpdateDeviceUp(Message):
    """L2 agent -> server, call: the device is wired; lift the port's L2 block."""

    name = "UpdateDeviceUp"
    device: str
    host: str


@dataclass
class UpdateDeviceDown(Message):
    """L2 agent -> server, call: the device is gone; the port goes DOWN."""

    name = "UpdateDeviceDown"
    device: str
    host: str


@dataclass
class GetTunnelPeers(Message):
    """L2 agent -> server, call: the other hosts' VTEPs and ports of a VXLAN network.

    Returns a list of ``TunnelPeer`` (hosts whose agent reported a tunneling IP and
    that have an ACTIVE port bound on the network), ``host``'s own ports left out.
    """

    name = "GetTunnelPeers"
    network_id: str
    host: str


# -------------------------------------------------------------- server -> agents
@dataclass
class PortUpdate(Message):
    """server -> network.l2.<host>, cast: a port bound to this host changed; rewire it."""

    name = "PortUpdate"
    port_id: str
    network_id: str


@dataclass
class PortDelete(Message):
    """server -> network.l2, fanout: a port is gone; remove its device if wired here."""

    name = "PortDelete"
    port_id: str


@dataclass
class NetworkDelete(Message):
    """server -> network.l2, fanout: a network is gone; remove its bridge if here."""

    name = "NetworkDelete"
    network_id: str


@dataclass
class SecurityGroupsChanged(Message):
    """server -> network.l2, fanout: these groups' rules or members changed; refilter.

    A change of a group's members also names every group whose rules use it as their
    remote group, so the ports to refilter are always those bound to a named group.
    """

    name = "SecurityGroupsChanged"
    security_group_ids: list[str]


@dataclass
class FdbAdd(Message):
    """server -> network.l2, fanout: a port of a VXLAN network went ACTIVE behind a VTEP."""

    name = "FdbAdd"
    network_id: str
    segmentation_id: int
    tunnel_ip: str
    mac: str
    ips: list[str] = field(default_factory=list)


@dataclass
class FdbRemove(Message):
    """server -> network.l2, fanout: a port of a VXLAN network left the host at a VTEP."""

    name = "FdbRemove"
    network_id: str
    segmentation_id: int
    tunnel_ip: str
    mac: str
    ips: list[str] = field(default_factory=list)


def tap_name(port_id: str) -> str:
    """The tap device of a port on a host: ``tap<port-id[:11]>``."""
    return f"{TAP_PREFIX}{port_id[:11]}"


def bridge_name(network_id: str) -> str:
    """The Linux bridge of a network on a host: ``brq<net-id[:11]>``."""
    return f"brq{network_id[:11]}"
