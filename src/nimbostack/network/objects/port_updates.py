"""Port updates: attributes, fixed IPs, security groups, address pairs, DHCP options, binding.

The port's row is locked for the update; a change of addresses or MAC also takes the
network's lock, as a create does, so address and MAC uniqueness checks stay true.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy import update as update_rows
from sqlalchemy.ext.asyncio import AsyncSession

from nimbostack.core.config import Config
from nimbostack.network import errors
from nimbostack.network.db.models import (
    AllowedAddressPair,
    ExtraDhcpOpt,
    IPAllocation,
    Port,
    PortBinding,
    SecurityGroupPortBinding,
)
from nimbostack.network.objects import fixed_ips, networks, ports, standard
from nimbostack.network.objects.port_writes import groups_for, mac_for, opts_for, pairs_for
from nimbostack.network.objects.scope import Scope

_COLUMNS = ("name", "description", "admin_state_up", "device_id", "device_owner", "dns_name")


async def update(
    s: AsyncSession,
    conf: Config,
    caller: Scope,
    port_id: str,
    changes: dict[str, Any],
    *,
    expected: int | None,
) -> None:
    current = await ports.find(s, caller, port_id, "")
    # The network's lock before the port's, the order a network delete takes them in.
    readdress = "fixed_ips" in changes or "mac_address" in changes
    net = await networks.lock(s, Scope.admin(), current["network_id"]) if readdress else None
    port = await s.scalar(select(Port).where(Port.id == port_id).with_for_update())
    if port is None:
        raise errors.PortNotFound(port_id=port_id)
    values = {k: changes[k] for k in _COLUMNS if k in changes}
    secure = changes.get("port_security_enabled", port.port_security_enabled)
    values["port_security_enabled"] = secure
    mac = port.mac_address
    if net is not None:
        if "mac_address" in changes and changes["mac_address"] != mac:
            if current["binding:vif_type"] not in ("unbound", "binding_failed"):
                raise errors.HTTPBadRequest(f"Port {port_id} is bound; its MAC cannot change")
            mac = await mac_for(s, net.id, changes["mac_address"], "")
            values["mac_address"] = mac
        if "fixed_ips" in changes:
            owner = changes.get("device_owner", port.device_owner)
            await _replace_ips(
                s,
                await fixed_ips.on_network(s, net),
                port_id,
                changes["fixed_ips"],
                mac=mac,
                owner=owner,
            )
    await _replace_groups(s, port, changes, current, secure)
    await _replace_pairs(s, port_id, changes, current, secure=secure, mac=mac, conf=conf)
    if "extra_dhcp_opts" in changes:
        await _merge_opts(s, port_id, changes["extra_dhcp_opts"])
    await _update_binding(s, port_id, changes)
    await standard.bump(s, Port, port_id, expected, **values)


async def _replace_ips(
    s: AsyncSession,
    where: fixed_ips.OnNetwork,
    port_id: str,
    entries: list[dict[str, Any]],
    *,
    mac: str,
    owner: str,
) -> None:
    """Keep the addresses still asked for, free the others, take the new ones."""
    held = {
        (row.subnet_id, row.ip_address)
        for row in (
            await s.execute(
                select(IPAllocation.subnet_id, IPAllocation.ip_address).where(
                    IPAllocation.port_id == port_id
                )
            )
        ).all()
    }
    wanted = fixed_ips.requested(entries, where, owner)
    keep: set[tuple[str, str]] = set()
    new: list[fixed_ips.Wanted] = []
    for item in wanted:
        if item.address is not None and (item.subnet.id, item.address) in held:
            keep.add((item.subnet.id, item.address))
            continue
        reuse = next(
            (
                h
                for h in sorted(held)
                if item.address is None and h[0] == item.subnet.id and h not in keep
            ),
            None,
        )
        if reuse is not None:
            keep.add(reuse)
        else:
            new.append(item)
    for subnet_id, address in held - keep:
        await s.execute(
            delete(IPAllocation).where(
                IPAllocation.subnet_id == subnet_id, IPAllocation.ip_address == address
            )
        )
    await s.flush()
    if new:
        await fixed_ips.take(s, where, new, port_id=port_id, mac=mac, device_owner=owner)
        await s.flush()


async def _replace_groups(
    s: AsyncSession, port: Port, changes: dict[str, Any], current: dict[str, Any], secure: bool
) -> None:
    if "security_groups" in changes:
        groups = await groups_for(
            s, port.project_id, changes["security_groups"], secure, port.device_owner
        )
        await s.execute(
            delete(SecurityGroupPortBinding).where(SecurityGroupPortBinding.port_id == port.id)
        )
        s.add_all(SecurityGroupPortBinding(port_id=port.id, security_group_id=g) for g in groups)
        await s.flush()
    elif not secure and current["security_groups"]:
        raise errors.PortSecurityPortHasSecurityGroup()


async def _replace_pairs(
    s: AsyncSession,
    port_id: str,
    changes: dict[str, Any],
    current: dict[str, Any],
    *,
    secure: bool,
    mac: str,
    conf: Config,
) -> None:
    if "allowed_address_pairs" in changes:
        pairs = pairs_for(
            changes["allowed_address_pairs"], secure, mac, conf.network.max_allowed_address_pair
        )
        await s.execute(delete(AllowedAddressPair).where(AllowedAddressPair.port_id == port_id))
        s.add_all(AllowedAddressPair(port_id=port_id, **p) for p in pairs)
        await s.flush()
    elif not secure and current["allowed_address_pairs"]:
        raise errors.AddressPairAndPortSecurityRequired()


async def _merge_opts(s: AsyncSession, port_id: str, wanted: list[dict[str, Any]]) -> None:
    """An option with a value replaces the option of its name; a null value removes it."""
    for opt in wanted:
        await s.execute(
            delete(ExtraDhcpOpt).where(
                ExtraDhcpOpt.port_id == port_id,
                ExtraDhcpOpt.opt_name == opt["opt_name"],
                ExtraDhcpOpt.ip_version == opt.get("ip_version", 4),
            )
        )
    s.add_all(ExtraDhcpOpt(port_id=port_id, **o) for o in opts_for(wanted))
    await s.flush()


async def _update_binding(s: AsyncSession, port_id: str, changes: dict[str, Any]) -> None:
    values = {
        column: changes[attr]
        for attr, column in (
            ("binding:host_id", "host"),
            ("binding:vnic_type", "vnic_type"),
            ("binding:profile", "profile"),
        )
        if attr in changes
    }
    if values:
        await s.execute(
            update_rows(PortBinding)
            .where(PortBinding.port_id == port_id, PortBinding.status == ports.BINDING_ACTIVE)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
