"""Address groups: named sets of CIDRs a security group rule can name as its remote."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import ColumnElement, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from nimbostack.core.db.locks import get_for_update
from nimbostack.network import errors
from nimbostack.network.db.models import AddressGroup, AddressGroupAddress, SecurityGroupRule
from nimbostack.network.objects import rbac, standard
from nimbostack.network.objects.query import ListRequest, Rows, Table, select_page
from nimbostack.network.objects.scope import Scope, granted, owned_or_granted


def visible(scope: Scope) -> ColumnElement[bool]:
    return owned_or_granted(scope, "address_group", AddressGroup.id, AddressGroup.project_id)


TABLE = Table(
    id=AddressGroup.id,
    columns={
        "id": AddressGroup.id,
        "name": AddressGroup.name,
        "project_id": AddressGroup.project_id,
        "description": AddressGroup.description,
        "revision_number": AddressGroup.revision_number,
        "created_at": AddressGroup.created_at,
        "updated_at": AddressGroup.updated_at,
    },
    not_found=lambda ag_id: errors.AddressGroupNotFound(address_group_id=ag_id),
    ints=frozenset({"revision_number"}),
)


def _select(scope: Scope) -> Rows:
    shared = granted("address_group", AddressGroup.id, scope.project_id).label("shared")
    return select(AddressGroup, shared).where(visible(scope))


async def search(s: AsyncSession, scope: Scope, req: ListRequest) -> list[dict[str, Any]]:
    page, stmt = await select_page(s, TABLE, _select(scope), req)
    return await _views(s, page.finish((await s.execute(stmt)).all()))


async def find(s: AsyncSession, scope: Scope, ag_id: str) -> dict[str, Any]:
    row = (await s.execute(_select(scope).where(AddressGroup.id == ag_id))).first()
    if row is None:
        raise errors.AddressGroupNotFound(address_group_id=ag_id)
    return (await _views(s, [row]))[0]


async def _views(s: AsyncSession, rows: list[Any]) -> list[dict[str, Any]]:
    ids = [row[0].id for row in rows]
    addresses: dict[str, list[str]] = defaultdict(list)
    for ag_id, address in await s.execute(
        select(AddressGroupAddress.address_group_id, AddressGroupAddress.address)
        .where(AddressGroupAddress.address_group_id.in_(ids))
        .order_by(AddressGroupAddress.address_group_id, AddressGroupAddress.address)
    ):
        addresses[ag_id].append(address)
    return [
        {
            "id": ag.id,
            "name": ag.name,
            "tenant_id": ag.project_id,
            "project_id": ag.project_id,
            "addresses": addresses[ag.id],
            "shared": bool(shared),
            **standard.standard_view(ag),
        }
        for ag, shared in rows
    ]


async def create(s: AsyncSession, item: dict[str, Any]) -> str:
    ag = AddressGroup(
        **standard.stamp(
            id=standard.new_id(),
            project_id=item["project_id"],
            name=item.get("name", ""),
            description=item.get("description", ""),
        )
    )
    s.add(ag)
    await s.flush()
    await add(s, ag.id, item.get("addresses", []))
    return ag.id


async def lock(s: AsyncSession, ag_id: str) -> None:
    """Lock the group's row, so concurrent changes of its addresses take turns (else 404)."""
    if await get_for_update(s, AddressGroup, ag_id) is None:
        raise errors.AddressGroupNotFound(address_group_id=ag_id)


async def add(s: AsyncSession, ag_id: str, addresses: list[str]) -> None:
    """Add the addresses the group lacks (the caller holds the group's lock)."""
    have = set(
        await s.scalars(
            select(AddressGroupAddress.address).where(AddressGroupAddress.address_group_id == ag_id)
        )
    )
    s.add_all(
        AddressGroupAddress(address_group_id=ag_id, address=a)
        for a in dict.fromkeys(addresses)
        if a not in have
    )
    await s.flush()


async def remove(s: AsyncSession, ag_id: str, addresses: list[str]) -> None:
    await s.execute(
        delete(AddressGroupAddress).where(
            AddressGroupAddress.address_group_id == ag_id,
            AddressGroupAddress.address.in_(addresses),
        )
    )


async def delete_group(s: AsyncSession, ag_id: str) -> None:
    used = await s.scalar(
        select(SecurityGroupRule.id)
        .where(SecurityGroupRule.remote_address_group_id == ag_id)
        .limit(1)
    )
    if used is not None:
        raise errors.AddressGroupInUse(address_group_id=ag_id)
    await rbac.drop_all(s, "address_group", [ag_id])
    await s.execute(delete(AddressGroup).where(AddressGroup.id == ag_id))
