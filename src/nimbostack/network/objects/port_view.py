"""A port as the API shows it, rendered by the database as JSON text.

``rendering(keys)`` is the one definition of a port's view: lists, shows and creates
all read it, for one port or ten thousand, in one statement. ``keys`` leaves out the
attributes the caller may not see or did not ask for (``fields``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, literal, select

from nimbostack.network.db.json import Json
from nimbostack.network.db.models import (
    AllowedAddressPair,
    ExtraDhcpOpt,
    IPAllocation,
    Port,
    PortBinding,
    SecurityGroupPortBinding,
    Tag,
)

TAGS = "ports"
BINDING_ACTIVE = "ACTIVE"
KEYS = (
    "id", "name", "network_id", "tenant_id", "project_id", "mac_address", "admin_state_up",
    "status", "device_id", "device_owner", "fixed_ips", "allowed_address_pairs",
    "extra_dhcp_opts", "security_groups", "port_security_enabled", "dns_name",
    "dns_assignment", "binding:host_id", "binding:vif_type", "binding:vif_details",
    "binding:vnic_type", "binding:profile", "description", "tags", "created_at", "updated_at",
    "revision_number",
)  # fmt: skip


def binding_join() -> ColumnElement[bool]:
    """How a port meets its active binding (a LEFT JOIN: every port has one, but be safe)."""
    return and_(PortBinding.port_id == Port.id, PortBinding.status == BINDING_ACTIVE)


def _host_name(address: Any) -> ColumnElement[Any]:
    made = literal("host-") + func.replace(func.replace(address, ".", "-"), ":", "-")
    return case((Port.dns_name != "", Port.dns_name), else_=made)


def _related(j: Json, dns_domain: str) -> dict[str, ColumnElement[Any]]:
    ips = select(IPAllocation).where(IPAllocation.port_id == Port.id)
    ips = ips.order_by(IPAllocation.subnet_id, IPAllocation.ip_address)
    host = _host_name(IPAllocation.ip_address)
    fqdn = host + literal(f".{dns_domain}.")
    pairs = select(AllowedAddressPair).where(AllowedAddressPair.port_id == Port.id)
    opts = select(ExtraDhcpOpt).where(ExtraDhcpOpt.port_id == Port.id)
    groups = select(SecurityGroupPortBinding).where(SecurityGroupPortBinding.port_id == Port.id)
    tags = select(Tag).where(Tag.resource_type == TAGS, Tag.resource_id == Port.id)
    return {
        "fixed_ips": j.array(
            j.obj([("subnet_id", IPAllocation.subnet_id), ("ip_address", IPAllocation.ip_address)]),
            ips,
        ),
        "dns_assignment": j.array(
            j.obj([("hostname", host), ("ip_address", IPAllocation.ip_address), ("fqdn", fqdn)]),
            ips,
        ),
        "allowed_address_pairs": j.sparse_array(
            j.obj(
                [
                    ("ip_address", AllowedAddressPair.ip_address),
                    ("mac_address", AllowedAddressPair.mac_address),
                ]
            ),
            pairs.order_by(AllowedAddressPair.mac_address, AllowedAddressPair.ip_address),
            select(AllowedAddressPair),
        ),
        "extra_dhcp_opts": j.sparse_array(
            j.obj(
                [
                    ("opt_name", ExtraDhcpOpt.opt_name),
                    ("opt_value", ExtraDhcpOpt.opt_value),
                    ("ip_version", ExtraDhcpOpt.ip_version),
                ]
            ),
            opts.order_by(ExtraDhcpOpt.opt_name, ExtraDhcpOpt.ip_version),
            select(ExtraDhcpOpt),
        ),
        "security_groups": j.array(
            SecurityGroupPortBinding.security_group_id,
            groups.order_by(SecurityGroupPortBinding.security_group_id),
        ),
        "tags": j.sparse_array(
            Tag.tag, tags.order_by(Tag.tag), select(Tag).where(Tag.resource_type == TAGS)
        ),
    }


def _attributes(j: Json, dns_domain: str) -> dict[str, Any]:
    return {
        "id": Port.id,
        "name": Port.name,
        "network_id": Port.network_id,
        "tenant_id": Port.project_id,
        "project_id": Port.project_id,
        "mac_address": Port.mac_address,
        "admin_state_up": j.boolean(Port.admin_state_up),
        "status": Port.status,
        "device_id": Port.device_id,
        "device_owner": Port.device_owner,
        "port_security_enabled": j.boolean(Port.port_security_enabled),
        "dns_name": Port.dns_name,
        "binding:host_id": func.coalesce(PortBinding.host, ""),
        "binding:vif_type": func.coalesce(PortBinding.vif_type, "unbound"),
        "binding:vif_details": j.stored(PortBinding.vif_details),
        "binding:vnic_type": func.coalesce(PortBinding.vnic_type, "normal"),
        "binding:profile": j.stored(PortBinding.profile),
        "description": Port.description,
        "created_at": j.timestamp(Port.created_at),
        "updated_at": j.timestamp(Port.updated_at),
        "revision_number": Port.revision_number,
        **_related(j, dns_domain),
    }


def rendering(j: Json, keys: set[str], dns_domain: str) -> ColumnElement[Any]:
    """A port's view as JSON text, with only ``keys`` (in the API's order)."""
    attributes = _attributes(j, dns_domain)
    return j.text(j.obj([(key, attributes[key]) for key in KEYS if key in keys]))
