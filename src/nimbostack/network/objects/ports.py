"""Ports: who sees them, how they list, and their view.

A port is visible to its owner and to its network's owner. A listing reads the page's
ports with their active binding in one query, then each related collection (fixed IPs,
security groups, address pairs, DHCP options, tags) in one query each for the whole
page, as rows rather than ORM objects, so ten thousand ports cost six statements.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from nimbostack.core.timeutil import iso
from nimbostack.network import errors
from nimbostack.network.db.models import (
    AllowedAddressPair,
    ExtraDhcpOpt,
    IPAllocation,
    Network,
    Port,
    PortBinding,
    SecurityGroupPortBinding,
    Tag,
)
from nimbostack.network.objects.query import ListRequest, Rows, Table, select_page
from nimbostack.network.objects.scope import Scope

TAGS = "ports"
BINDING_ACTIVE = "ACTIVE"
# Binding attributes only admins and services see (the VNIC type is everyone's).
BINDING_ATTRS = ("binding:host_id", "binding:profile", "binding:vif_details", "binding:vif_type")


def visible(scope: Scope) -> ColumnElement[bool]:
    if scope.is_admin:
        return true()
    return or_(Port.project_id == scope.project_id, Network.project_id == scope.project_id)


def _fixed_ips_filter(values: list[str]) -> ColumnElement[bool]:
    """``fixed_ips=ip_address=X``, ``subnet_id=Y`` or ``ip_address_substr=Z`` (any of)."""
    conditions = []
    for value in values:
        key, _, wanted = value.partition("=")
        if key == "ip_address":
            cond = IPAllocation.ip_address == wanted
        elif key == "subnet_id":
            cond = IPAllocation.subnet_id == wanted
        elif key == "ip_address_substr":
            cond = IPAllocation.ip_address.contains(wanted, autoescape=True)
        else:
            raise errors.HTTPBadRequest(f"Invalid fixed_ips filter: {value}")
        conditions.append(cond)
    return exists().where(IPAllocation.port_id == Port.id, or_(*conditions))


def _binding_filter(column: Any) -> Any:
    def condition(values: list[str]) -> ColumnElement[bool]:
        return exists().where(
            PortBinding.port_id == Port.id,
            PortBinding.status == BINDING_ACTIVE,
            column.in_(values),
        )

    return condition


def _security_groups_filter(values: list[str]) -> ColumnElement[bool]:
    return exists().where(
        SecurityGroupPortBinding.port_id == Port.id,
        SecurityGroupPortBinding.security_group_id.in_(values),
    )


TABLE = Table(
    id=Port.id,
    columns={
        "id": Port.id,
        "name": Port.name,
        "project_id": Port.project_id,
        "network_id": Port.network_id,
        "mac_address": Port.mac_address,
        "admin_state_up": Port.admin_state_up,
        "status": Port.status,
        "device_id": Port.device_id,
        "device_owner": Port.device_owner,
        "port_security_enabled": Port.port_security_enabled,
        "dns_name": Port.dns_name,
        "description": Port.description,
        "revision_number": Port.revision_number,
        "created_at": Port.created_at,
        "updated_at": Port.updated_at,
    },
    not_found=lambda port_id: errors.PortNotFound(port_id=port_id),
    tag_type=TAGS,
    bools=frozenset({"admin_state_up", "port_security_enabled"}),
    ints=frozenset({"revision_number"}),
    filters={
        "fixed_ips": _fixed_ips_filter,
        "security_groups": _security_groups_filter,
        "binding:host_id": _binding_filter(PortBinding.host),
        "binding:vnic_type": _binding_filter(PortBinding.vnic_type),
    },
)

_COLUMNS = [column.label(key) for key, column in Port.__mapper__.columns.items()]


def _select(scope: Scope) -> Rows:
    return (
        select(
            *_COLUMNS,
            Network.project_id.label("network_project_id"),
            PortBinding.host.label("binding_host"),
            PortBinding.vif_type,
            PortBinding.vif_details,
            PortBinding.vnic_type,
            PortBinding.profile,
        )
        .join(Network, Network.id == Port.network_id)
        .outerjoin(
            PortBinding,
            and_(PortBinding.port_id == Port.id, PortBinding.status == BINDING_ACTIVE),
        )
        .where(visible(scope))
    )


async def search(
    s: AsyncSession, scope: Scope, req: ListRequest, dns_domain: str
) -> list[dict[str, Any]]:
    page, stmt = await select_page(s, TABLE, _select(scope), req)
    rows = page.finish((await s.execute(stmt)).all())
    ids = (
        stmt.with_only_columns(Port.id).order_by(None) if len(rows) > 500 else [r.id for r in rows]
    )
    return await views(s, rows, ids, dns_domain)


async def find(s: AsyncSession, scope: Scope, port_id: str, dns_domain: str) -> dict[str, Any]:
    row = (await s.execute(_select(scope).where(Port.id == port_id))).first()
    if row is None:
        raise errors.PortNotFound(port_id=port_id)
    return (await views(s, [row], [port_id], dns_domain))[0]


async def views(
    s: AsyncSession, rows: list[Any], ids: Any, dns_domain: str
) -> list[dict[str, Any]]:
    """The views of ``rows``; ``ids`` selects their related rows (a list or a subquery)."""
    ips: dict[str, list[dict[str, str]]] = defaultdict(list)
    for port_id, subnet_id, address in await s.execute(
        select(IPAllocation.port_id, IPAllocation.subnet_id, IPAllocation.ip_address)
        .where(IPAllocation.port_id.in_(ids))
        .order_by(IPAllocation.port_id, IPAllocation.subnet_id, IPAllocation.ip_address)
    ):
        ips[port_id].append({"subnet_id": subnet_id, "ip_address": address})
    groups: dict[str, list[str]] = defaultdict(list)
    for port_id, group_id in await s.execute(
        select(SecurityGroupPortBinding.port_id, SecurityGroupPortBinding.security_group_id)
        .where(SecurityGroupPortBinding.port_id.in_(ids))
        .order_by(SecurityGroupPortBinding.port_id, SecurityGroupPortBinding.security_group_id)
    ):
        groups[port_id].append(group_id)
    pairs: dict[str, list[dict[str, str]]] = defaultdict(list)
    for port_id, mac, address in await s.execute(
        select(
            AllowedAddressPair.port_id,
            AllowedAddressPair.mac_address,
            AllowedAddressPair.ip_address,
        ).where(AllowedAddressPair.port_id.in_(ids))
    ):
        pairs[port_id].append({"ip_address": address, "mac_address": mac})
    opts: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for port_id, name, value, version in await s.execute(
        select(
            ExtraDhcpOpt.port_id,
            ExtraDhcpOpt.opt_name,
            ExtraDhcpOpt.opt_value,
            ExtraDhcpOpt.ip_version,
        ).where(ExtraDhcpOpt.port_id.in_(ids))
    ):
        opts[port_id].append({"opt_name": name, "opt_value": value, "ip_version": version})
    tags: dict[str, list[str]] = defaultdict(list)
    for port_id, tag in await s.execute(
        select(Tag.resource_id, Tag.tag)
        .where(Tag.resource_type == TAGS, Tag.resource_id.in_(ids))
        .order_by(Tag.resource_id, Tag.tag)
    ):
        tags[port_id].append(tag)
    related = Related(ips, groups, pairs, opts, tags, dns_domain)
    return [view(row, related) for row in rows]


@dataclass(frozen=True)
class Related:
    """A page's related collections, by port id."""

    ips: dict[str, list[dict[str, str]]]
    groups: dict[str, list[str]]
    pairs: dict[str, list[dict[str, str]]]
    opts: dict[str, list[dict[str, Any]]]
    tags: dict[str, list[str]]
    dns_domain: str


def dns_assignment(dns_name: str, ips: list[dict[str, str]], domain: str) -> list[dict[str, str]]:
    """Each fixed IP's host name and FQDN: the port's DNS name, or one made of the address."""
    found = []
    for ip in ips:
        address = ip["ip_address"]
        host = dns_name or "host-" + address.replace(".", "-").replace(":", "-")
        found.append({"hostname": host, "ip_address": address, "fqdn": f"{host}.{domain}."})
    return found


def view(row: Any, rel: Related) -> dict[str, Any]:
    ips = rel.ips.get(row.id, [])
    return {
        "id": row.id,
        "name": row.name,
        "network_id": row.network_id,
        "tenant_id": row.project_id,
        "project_id": row.project_id,
        "mac_address": row.mac_address,
        "admin_state_up": row.admin_state_up,
        "status": row.status,
        "device_id": row.device_id,
        "device_owner": row.device_owner,
        "fixed_ips": ips,
        "allowed_address_pairs": rel.pairs.get(row.id, []),
        "extra_dhcp_opts": rel.opts.get(row.id, []),
        "security_groups": rel.groups.get(row.id, []),
        "port_security_enabled": row.port_security_enabled,
        "dns_name": row.dns_name,
        "dns_assignment": dns_assignment(row.dns_name, ips, rel.dns_domain),
        "binding:host_id": row.binding_host or "",
        "binding:vif_type": row.vif_type or "unbound",
        "binding:vif_details": row.vif_details or {},
        "binding:vnic_type": row.vnic_type or "normal",
        "binding:profile": row.profile or {},
        "description": row.description,
        "tags": rel.tags.get(row.id, []),
        "created_at": iso(row.created_at),
        "updated_at": iso(row.updated_at),
        "revision_number": row.revision_number,
        # What policies read; stripped before the port is shown.
        "network:project_id": row.network_project_id,
        "network_device": row.device_owner.startswith("network:"),
    }
