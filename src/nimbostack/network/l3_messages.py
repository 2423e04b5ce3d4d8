"""The L3 agents' RPC contract: what network-server and the L3 agents say to each other.

Topics: ``network.plugin`` (the server's handlers, shared with the L2 agents' contract)
and ``network.l3`` (every L3 agent; ``network.l3.<host>`` reaches the one on a host).
An L3 agent reports itself with ``agent_messages.ReportState`` (type "L3 agent",
binary "neutron-l3-agent"), asks for the routers scheduled to its host with
``GetRouters`` and receives typed ``RouterInfo``s, and reports what became of their
floating IPs with ``UpdateFloatingIpStatuses``. The server casts ``RouterUpdated`` and
``RouterDeleted`` to the agents hosting a router.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from nimbostack.core.rpc import Message

L3_AGENT = "network.l3"
L3_AGENT_TYPE = "L3 agent"
L3_BINARY = "neutron-l3-agent"
ACTIVE = "ACTIVE"
DOWN = "DOWN"
ERROR = "ERROR"


@dataclass
class RouterAddress:
    """One address of a router port, with the subnet it is on."""

    ip_address: str
    subnet_id: str
    cidr: str
    gateway_ip: str | None = None


@dataclass
class RouterPortInfo:
    """A router's gateway or interface port: what the agent plugs into its namespace."""

    port_id: str
    mac_address: str
    network_id: str
    mtu: int
    addresses: list[RouterAddress] = field(default_factory=list)

    @classmethod
    def from_wire(cls, raw: dict[str, Any]) -> RouterPortInfo:
        addresses = [RouterAddress(**a) for a in raw.get("addresses", [])]
        return cls(**{**raw, "addresses": addresses})


@dataclass
class ExtraRoute:
    destination: str
    nexthop: str


@dataclass
class FloatingIpInfo:
    """A floating IP the router translates: ``floating_ip_address`` <-> ``fixed_ip_address``."""

    id: str
    floating_ip_address: str
    fixed_ip_address: str
    port_id: str
    status: str


@dataclass
class RouterInfo:
    """Everything an L3 agent needs to build one router (``qrouter-<id>``)."""

    id: str
    project_id: str
    admin_state_up: bool
    enable_snat: bool
    gateway: RouterPortInfo | None = None
    interfaces: list[RouterPortInfo] = field(default_factory=list)
    routes: list[ExtraRoute] = field(default_factory=list)
    floating_ips: list[FloatingIpInfo] = field(default_factory=list)

    @classmethod
    def from_wire(cls, raw: dict[str, Any]) -> RouterInfo:
        """A router as a call's JSON reply carries it."""
        gateway = raw.get("gateway")
        return cls(
            id=raw["id"],
            project_id=raw["project_id"],
            admin_state_up=raw["admin_state_up"],
            enable_snat=raw["enable_snat"],
            gateway=None if gateway is None else RouterPortInfo.from_wire(gateway),
            interfaces=[RouterPortInfo.from_wire(i) for i in raw.get("interfaces", [])],
            routes=[ExtraRoute(**r) for r in raw.get("routes", [])],
            floating_ips=[FloatingIpInfo(**f) for f in raw.get("floating_ips", [])],
        )


# -------------------------------------------------------------- L3 agents -> server
@dataclass
class GetRouters(Message):
    """L3 agent -> server (network.plugin), call: the ``RouterInfo`` of the routers
    scheduled to ``host`` (only ``router_ids`` of them, if given). With ``bind_ports``
    the routers' gateway and interface ports are bound to ``host`` first, so that the
    host's L2 agent wires the devices the agent plugs into the networks' bridges."""

    name = "GetRouters"
    host: str
    router_ids: list[str] | None = None
    bind_ports: bool = False


@dataclass
class UpdateFloatingIpStatuses(Message):
    """L3 agent -> server, call: the floating IPs of a router it has set up (or not):
    ``{floating IP id: ACTIVE | DOWN | ERROR}``."""

    name = "UpdateFloatingIpStatuses"
    router_id: str
    statuses: dict[str, str]


# -------------------------------------------------------------- server -> L3 agents
@dataclass
class RouterUpdated(Message):
    """server -> network.l3.<host>, cast: these routers hosted here changed; resync them."""

    name = "RouterUpdated"
    router_ids: list[str]


@dataclass
class RouterDeleted(Message):
    """server -> network.l3.<host>, cast: this router is gone; remove ``qrouter-<id>``."""

    name = "RouterDeleted"
    router_id: str


def namespace_name(router_id: str) -> str:
    """The namespace of a router on a host: ``qrouter-<router-id>``."""
    return f"qrouter-{router_id}"
