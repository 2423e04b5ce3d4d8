"""The metadata agent's RPC contract with network-server: which instance has an address.

The metadata agent (``network/agents/metadata/``) calls ``network.plugin`` with
``GetInstanceForAddress`` for each guest request its proxies forward, and signs the
answer's instance id for compute's metadata API.
"""

from __future__ import annotations

from dataclasses import dataclass

from nimbostack.core.rpc import Message


@dataclass
class InstancePort:
    """The instance behind an address (empty ids: no single instance port has it)."""

    device_id: str = ""
    tenant_id: str = ""


@dataclass
class GetInstanceForAddress(Message):
    """metadata agent -> server (network.plugin), call: the ``InstancePort`` of ``ip_address``.

    Exactly one of ``network_id`` (a DHCP namespace's proxy) and ``router_id`` (a
    router namespace's proxy: any network with an interface on that router) is set.
    """

    name = "GetInstanceForAddress"
    ip_address: str
    network_id: str | None = None
    router_id: str | None = None
