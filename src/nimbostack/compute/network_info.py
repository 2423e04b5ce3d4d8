"""An instance's network info: its ports as compute keeps them (``Instance.network_info``).

One ``Vif`` per port, built from the port as the networking service returned it once
bound on the instance's host. Stored as JSON in the instance's ``network_info``
column, in the nested shape the server views and the metadata API read
(``network.label``, ``ips[].address``); typed everywhere else. ``preserve_on_delete``
marks a port the user passed in: a delete unbinds it and leaves it to its owner;
``tag`` is the device tag given when the port was attached.
"""

from __future__ import annotations

import dataclasses
import ipaddress
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class VifIp:
    address: str
    version: int
    subnet_id: str = ""
    type: str = "fixed"


@dataclass(frozen=True)
class VifNetwork:
    id: str
    label: str
    mtu: int = 0  # 0: not known (recorded before compute kept it)


@dataclass(frozen=True)
class Vif:
    """One port of an instance: MAC, addresses, network, and how the host wires it."""

    id: str
    address: str
    network: VifNetwork
    ips: list[VifIp] = field(default_factory=list)
    type: str = "unbound"
    details: dict[str, Any] = field(default_factory=dict)
    devname: str = ""
    preserve_on_delete: bool = False
    tag: str | None = None  # a device tag the user gave when attaching it

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Vif:
        network = data.get("network") or {}
        return cls(
            id=str(data["id"]),
            address=str(data.get("address", "")),
            network=VifNetwork(
                str(network.get("id", "")),
                str(network.get("label", "")),
                int(network.get("mtu") or 0),
            ),
            ips=[_ip(ip) for ip in data.get("ips", [])],
            type=str(data.get("type", "unbound")),
            details=dict(data.get("details") or {}),
            devname=str(data.get("devname", "")),
            preserve_on_delete=bool(data.get("preserve_on_delete", False)),
            tag=data.get("tag"),
        )


def _ip(data: dict[str, Any]) -> VifIp:
    return VifIp(
        address=str(data["address"]),
        version=int(data.get("version", 4)),
        subnet_id=str(data.get("subnet_id", "")),
        type=str(data.get("type", "fixed")),
    )


def tap_name(port_id: str) -> str:
    """The host's tap device of a port, named as the networking service's agent names it."""
    return f"tap{port_id[:11]}"


def from_port(port: dict[str, Any], label: str, *, preserve: bool, mtu: int = 0) -> Vif:
    """The Vif of a bound port (a Neutron port body) on network ``label`` of ``mtu``."""
    ips = [
        VifIp(
            address=ip["ip_address"],
            version=ipaddress.ip_address(ip["ip_address"]).version,
            subnet_id=ip.get("subnet_id", ""),
        )
        for ip in port.get("fixed_ips", [])
    ]
    return Vif(
        id=port["id"],
        address=port["mac_address"],
        network=VifNetwork(port["network_id"], label, mtu),
        ips=ips,
        type=port.get("binding:vif_type", "unbound"),
        details=dict(port.get("binding:vif_details") or {}),
        devname=tap_name(port["id"]),
        preserve_on_delete=preserve,
    )


def decode(values: list[Any] | None) -> list[Vif]:
    """The Vifs of a stored or received ``network_info`` list."""
    return [v if isinstance(v, Vif) else Vif.from_json(v) for v in values or []]


@dataclass(frozen=True)
class RequestedNetwork:
    """One entry of a create request's ``networks``, checked: a network, or a user's port."""

    network_id: str
    port_id: str | None = None
    fixed_ip: str | None = None

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RequestedNetwork:
        return cls(str(data["network_id"]), data.get("port_id"), data.get("fixed_ip"))
