"""Port create and delete: one transaction each, nothing half-written.

A create takes the project's quota lock, then the network's row lock (in that order
everywhere, so they never deadlock), reads the subnets once, and writes the port, its
addresses, binding, security groups, address pairs and DHCP options together. The
answer is built from what was written; nothing is read back.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from nimbostack.core.config import Config
from nimbostack.network import errors, ipam
from nimbostack.network.db.models import (
    AllowedAddressPair,
    ExtraDhcpOpt,
    Network,
    Port,
    PortBinding,
    SecurityGroupPortBinding,
)
from nimbostack.network.objects import (
    fixed_ips,
    floating_ips,
    networks,
    ports,
    quotas,
    security_groups,
    standard,
)
from nimbostack.network.objects.scope import Scope

MAC_ATTEMPTS = 16
# Ports the L3 service makes and removes itself.
SERVICE_OWNERS = (
    "network:router_interface",
    "network:router_interface_distributed",
    "network:router_gateway",
    "network:floatingip",
    "network:router_ha_interface",
)


async def mac_for(s: AsyncSession, net_id: str, wanted: str | None, base: str) -> str:
    """The requested MAC if the network has no port with it, else a fresh random one."""
    if wanted is not None:
        if await _mac_taken(s, net_id, wanted):
            raise errors.MacAddressInUse(net_id=net_id, mac=wanted)
        return wanted
    for _ in range(MAC_ATTEMPTS):
        mac = ipam.random_mac(base)
        if not await _mac_taken(s, net_id, mac):
            return mac
    raise errors.NetworkMacAddressGenerationFailure(net_id=net_id)


_MAC_TAKEN = select(Port.id).where(
    Port.network_id == bindparam("net_id"), Port.mac_address == bindparam("mac")
)


async def _mac_taken(s: AsyncSession, net_id: str, mac: str) -> bool:
    return (await s.scalar(_MAC_TAKEN, {"net_id": net_id, "mac": mac})) is not None


async def groups_for(
    s: AsyncSession, project_id: str, wanted: list[str] | None, secure: bool, owner: str
) -> list[str]:
    """The port's security groups: those asked for, else the project's default group."""
    if wanted is not None:
        if wanted and not secure:
            raise errors.PortSecurityAndIPRequiredForSecurityGroups()
        await security_groups.usable(s, project_id, wanted)
        return list(dict.fromkeys(wanted))
    if not secure or owner.startswith("network:"):
        return []
    return [await security_groups.ensure_default(s, project_id)]


def pairs_for(
    wanted: list[dict[str, Any]], secure: bool, mac: str, limit: int
) -> list[dict[str, str]]:
    if not wanted:
        return []
    if not secure:
        raise errors.AddressPairAndPortSecurityRequired()
    if len(wanted) > limit:
        raise errors.AllowedAddressPairExhausted(quota=limit)
    pairs = [
        {"ip_address": p["ip_address"], "mac_address": p.get("mac_address") or mac} for p in wanted
    ]
    seen = set()
    for pair in pairs:
        key = (pair["mac_address"], pair["ip_address"])
        if key in seen:
            raise errors.DuplicateAddressPairInRequest(
                mac_address=pair["mac_address"], ip_address=pair["ip_address"]
            )
        seen.add(key)
    return pairs


def opts_for(wanted: list[dict[str, Any]]) -> list[dict[str, Any]]:
    opts = [
        {
            "opt_name": o["opt_name"],
            "opt_value": o["opt_value"],
            "ip_version": o.get("ip_version", 4),
        }
        for o in wanted
        if o.get("opt_value") is not None
    ]
    keys = [(o["opt_name"], o["ip_version"]) for o in opts]
    if len(set(keys)) != len(keys):
        raise errors.InvalidInput(error_message="Duplicate extra_dhcp_opts in request")
    return opts


async def create(
    s: AsyncSession, conf: Config, caller: Scope, item: dict[str, Any], *, quota: bool = True
) -> str:
    """Create the port of a parsed request; its id.

    ``quota=False`` for the ports the L3 service makes itself (router gateways and
    interfaces, floating IPs), which Neutron counts but never refuses.
    """
    settings = conf.network
    project = item["project_id"]
    if quota:
        await quotas.check(s, conf, project, {"port": 1})
    net = await networks.lock(s, caller, item["network_id"])
    where = await fixed_ips.on_network(s, net)
    owner = item.get("device_owner", "")
    mac = await mac_for(s, net.id, item.get("mac_address"), settings.base_mac)
    secure = item.get("port_security_enabled", net.port_security_enabled)
    groups = await groups_for(s, project, item.get("security_groups"), secure, owner)
    pairs = pairs_for(
        item.get("allowed_address_pairs", []), secure, mac, settings.max_allowed_address_pair
    )
    opts = opts_for(item.get("extra_dhcp_opts", []))
    wanted = fixed_ips.requested(item["fixed_ips"], where, owner) if "fixed_ips" in item else None
    port = Port(
        **standard.stamp(
            id=standard.new_id(),
            project_id=project,
            name=item.get("name", ""),
            description=item.get("description", ""),
            network_id=net.id,
            mac_address=mac,
            admin_state_up=item.get("admin_state_up", True),
            status="DOWN",
            device_id=item.get("device_id", ""),
            device_owner=owner,
            port_security_enabled=secure,
            dns_name=item.get("dns_name", ""),
        )
    )
    s.add(port)
    await s.flush()
    await fixed_ips.take(
        s, where, wanted, port_id=port.id, mac=mac, device_owner=owner, new_port=True
    )
    binding = PortBinding(
        port_id=port.id,
        host=item.get("binding:host_id", ""),
        status=ports.BINDING_ACTIVE,
        vif_type="unbound",
        vif_details={},
        vnic_type=item.get("binding:vnic_type", "normal"),
        profile=item.get("binding:profile", {}),
    )
    s.add(binding)
    s.add_all(SecurityGroupPortBinding(port_id=port.id, security_group_id=g) for g in groups)
    s.add_all(AllowedAddressPair(port_id=port.id, **p) for p in pairs)
    s.add_all(ExtraDhcpOpt(port_id=port.id, **o) for o in opts)
    await s.flush()
    if item.get("tags"):
        await standard.set_tags(s, ports.TAGS, port.id, item["tags"])
    return port.id


async def delete_port(s: AsyncSession, caller: Scope, port_id: str, expected: int | None) -> None:
    port = await s.scalar(
        select(Port).where(Port.id == port_id, _visible(caller)).with_for_update()
    )
    if port is None:
        raise errors.PortNotFound(port_id=port_id)
    if expected is not None and port.revision_number != expected:
        raise errors.RevisionNumberConstraintFailed(expected=expected, current=port.revision_number)
    if port.device_owner in SERVICE_OWNERS:
        raise errors.ServicePortInUse(
            port_id=port_id, reason=f"has device owner {port.device_owner}"
        )
    await floating_ips.detach_port(s, port_id)
    await standard.clear_tags(s, ports.TAGS, [port_id])
    await s.execute(delete(Port).where(Port.id == port_id))


def _visible(caller: Scope) -> Any:
    if caller.is_admin:
        return Port.id.is_not(None)
    owner_net = select(Network.id).where(Network.project_id == caller.project_id)
    return (Port.project_id == caller.project_id) | Port.network_id.in_(owner_net)
