"""The Linux-bridge mechanism driver: whether a host's L2 agent can wire a network's segment.

A port binds on a host only when that host's Linux-bridge agent is alive and can reach
one of the network's segments: a flat segment whose physical network the agent maps to
a device, a VLAN segment whose physical network it maps to an interface (on a kernel
that makes VLAN devices), or a VXLAN segment with VXLAN among its tunnel types. The
binding then says ``bridge`` and names the bridge the agent makes for the network.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from nimbostack.network.agent_messages import AgentConfiguration, bridge_name
from nimbostack.network.ml2.types import Segment

VIF_TYPE_BRIDGE = "bridge"
VIF_TYPE_UNBOUND = "unbound"
VIF_TYPE_BINDING_FAILED = "binding_failed"
PHYSICAL_TYPES = ("flat", "vlan")


@dataclass(frozen=True)
class Bound:
    """A binding's outcome: its VIF type and details, and the segment it bound (if any)."""

    vif_type: str
    vif_details: dict[str, Any]
    segment: Segment | None = None


FAILED = Bound(VIF_TYPE_BINDING_FAILED, {})


def can_wire(config: AgentConfiguration, segment: Segment) -> bool:
    """Whether an agent reporting ``config`` can wire ``segment``."""
    if segment.network_type == "vlan":
        return config.vlan and segment.physical_network in config.interface_mappings
    if segment.network_type in PHYSICAL_TYPES:
        mapped = config.bridge_mappings.keys() | config.interface_mappings.keys()
        return segment.physical_network in mapped
    return segment.network_type in config.tunnel_types


def bind(network_id: str, segments: Sequence[Segment], config: AgentConfiguration | None) -> Bound:
    """Bind on the first segment the host's agent (None: no live agent) can wire."""
    if config is None:
        return FAILED
    for segment in segments:
        if can_wire(config, segment):
            details = {
                "connectivity": "l2",
                "port_filter": True,
                "bridge_name": bridge_name(network_id),
            }
            return Bound(VIF_TYPE_BRIDGE, details, segment)
    return FAILED
