"""Names of the devices the L2 agent makes, and the label that marks them as its own.

Bridges and taps are named as Neutron names them (``agent_messages``); the segment
devices are ``vxlan-<vni>`` and ``<physdev>.<vlan-id>``. Every device the agent makes
carries an ifalias naming the agent's host and the network, so a resync after a restart
finds what it made (and only that), even with several agents on one machine.
"""

from __future__ import annotations

from nimbostack.network.agent_messages import TAP_PREFIX

IFNAMSIZ = 15  # longest device name the kernel takes
ALIAS_PREFIX = "nimbostack-l2"
TAP_NAME_LENGTH = len(TAP_PREFIX) + 11


def vxlan_name(vni: int) -> str:
    """The VXLAN device of a network's segment: ``vxlan-<vni>``."""
    return f"vxlan-{vni}"


def vlan_name(physical_device: str, vid: int) -> str:
    """The VLAN sub-interface ``<physdev>.<vid>``; ValueError if too long for the kernel."""
    name = f"{physical_device}.{vid}"
    if len(name) > IFNAMSIZ:
        raise ValueError(f"VLAN device name {name!r} is longer than {IFNAMSIZ} characters")
    return name


def owner_alias(host: str, network_id: str) -> str:
    """The ifalias of a device made by ``host``'s agent for ``network_id``."""
    return f"{ALIAS_PREFIX} {host} {network_id}"


def owned_network(alias: str, host: str) -> str | None:
    """The network a device labelled ``alias`` was made for by ``host``'s agent, else None."""
    parts = alias.split(" ")
    if len(parts) == 3 and parts[0] == ALIAS_PREFIX and parts[1] == host and parts[2]:
        return parts[2]
    return None


def is_port_tap(name: str) -> bool:
    """Whether a device is named like a port's tap (``tap`` + 11 characters of its id)."""
    return name.startswith(TAP_PREFIX) and len(name) == TAP_NAME_LENGTH
