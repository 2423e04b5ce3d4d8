"""Ports: who sees them, and how they list (filters, and their views rendered in SQL).

A port is visible to its owner and to its network's owner. A listing is one statement:
the page's ports, each with its view as JSON text rendered by the database
(``port_view``), and the ownership facts the policies read.
"""

from __future__ import annotations

import functools
from typing import Any

import orjson
from sqlalchemy import BindParameter, ColumnElement, String, bindparam, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from nimbostack.network import errors
from nimbostack.network.db.json import Json
from nimbostack.network.db.models import (
    IPAllocation,
    Network,
    Port,
    PortBinding,
    SecurityGroupPortBinding,
)
from nimbostack.network.objects import port_view
from nimbostack.network.objects.query import ListRequest, Rows, Table, select_page
from nimbostack.network.objects.scope import Scope

TAGS = port_view.TAGS
BINDING_ACTIVE = port_view.BINDING_ACTIVE


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


CALLER: BindParameter[str] = bindparam("caller", type_=String)


@functools.lru_cache(maxsize=64)
def _select(dialect: str, keys: frozenset[str], dns_domain: str, sees_all: bool) -> Rows:
    """The ports the caller sees (project in the ``caller`` parameter): id, rendered view,
    and what policies read of each. Built once per shape: a statement this large costs
    more to build than to run."""
    j = Json(dialect)
    stmt = (
        select(
            Port.id,
            port_view.rendering(j, set(keys), dns_domain).label("view"),
            Port.project_id,
            Network.project_id.label("network_project_id"),
            Port.device_owner,
        )
        .join(Network, Network.id == Port.network_id)
        .outerjoin(PortBinding, port_view.binding_join())
    )
    if sees_all:
        return stmt
    return stmt.where(or_(Port.project_id == CALLER, Network.project_id == CALLER))


@functools.lru_cache(maxsize=64)
def _select_one(dialect: str, keys: frozenset[str], dns_domain: str, sees_all: bool) -> Rows:
    return _select(dialect, keys, dns_domain, sees_all).where(Port.id == bindparam("port_id"))


def _shape(s: AsyncSession, scope: Scope, keys: set[str], dns_domain: str) -> tuple[Any, ...]:
    return (s.get_bind().dialect.name, frozenset(keys), dns_domain, scope.is_admin)


async def search(
    s: AsyncSession, scope: Scope, req: ListRequest, dns_domain: str, keys: set[str]
) -> list[Any]:
    """The page's ports as rows of (id, view text, project_id, network_project_id,
    device_owner), the views rendered by the database."""
    base = _select(*_shape(s, scope, keys, dns_domain))
    params = {} if scope.is_admin else {"caller": scope.project_id}
    page, stmt = await select_page(s, TABLE, base, req, params)
    return page.finish((await s.execute(stmt, params)).all())


async def rendered(
    s: AsyncSession, scope: Scope, port_id: str, dns_domain: str, keys: set[str] | None = None
) -> Any:
    """One port's row as ``search`` gives it, or 404 PortNotFound."""
    wanted = set(port_view.KEYS) if keys is None else keys
    stmt = _select_one(*_shape(s, scope, wanted, dns_domain))
    params = {"port_id": port_id}
    if not scope.is_admin:
        params["caller"] = scope.project_id
    row = (await s.execute(stmt, params)).first()
    if row is None:
        raise errors.PortNotFound(port_id=port_id)
    return row


async def find(s: AsyncSession, scope: Scope, port_id: str, dns_domain: str) -> dict[str, Any]:
    """A port's whole view as a dict, with what policies read of it."""
    row = await rendered(s, scope, port_id, dns_domain)
    return {**orjson.loads(row.view), **policy_facts(row)}


def policy_facts(row: Any) -> dict[str, Any]:
    """What the port rules read beyond the view: its network's owner, and whether the
    network itself owns the port."""
    return {
        "network:project_id": row.network_project_id,
        "network_device": row.device_owner.startswith("network:"),
    }
