"""Security groups: visibility, listing with their rules, every project's default group.

Each project gets one group named ``default`` the first time it lists groups or creates a
port: egress to anywhere over IPv4 and IPv6, ingress only from members of the group.
``ensure_default`` creates it under the project's default-group lock, re-checking once it
holds the lock, and ``default_security_group``'s primary key on the project makes a
second default group impossible whatever happens above.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, bindparam, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from nimbostack.core.db import Database
from nimbostack.network import errors
from nimbostack.network.db.models import (
    DefaultSecurityGroup,
    SecurityGroup,
    SecurityGroupPortBinding,
    SecurityGroupRule,
)
from nimbostack.network.db.sql import lock
from nimbostack.network.objects import rbac, sg_rules, standard
from nimbostack.network.objects.query import ListRequest, Rows, Table, select_page, to_bool
from nimbostack.network.objects.scope import Scope, granted, owned_or_granted

TAGS = "security-groups"
DEFAULT_NAME = "default"


def visible(scope: Scope) -> ColumnElement[bool]:
    return owned_or_granted(scope, "security_group", SecurityGroup.id, SecurityGroup.project_id)


def table(scope: Scope) -> Table:
    shared = granted("security_group", SecurityGroup.id, scope.project_id)

    def shared_filter(values: list[str]) -> ColumnElement[bool]:
        return shared if {to_bool(v) for v in values} == {True} else ~shared

    return Table(
        id=SecurityGroup.id,
        columns={
            "id": SecurityGroup.id,
            "name": SecurityGroup.name,
            "project_id": SecurityGroup.project_id,
            "stateful": SecurityGroup.stateful,
            "description": SecurityGroup.description,
            "revision_number": SecurityGroup.revision_number,
            "created_at": SecurityGroup.created_at,
            "updated_at": SecurityGroup.updated_at,
        },
        not_found=lambda sg_id: errors.SecurityGroupNotFound(id=sg_id),
        tag_type=TAGS,
        bools=frozenset({"stateful"}),
        ints=frozenset({"revision_number"}),
        filters={"shared": shared_filter},
    )


def _select(scope: Scope) -> Rows:
    shared = granted("security_group", SecurityGroup.id, scope.project_id).label("shared")
    return select(SecurityGroup, shared).where(visible(scope))


async def search(s: AsyncSession, scope: Scope, req: ListRequest) -> list[dict[str, Any]]:
    page, stmt = await select_page(s, table(scope), _select(scope), req)
    return await _views(s, page.finish((await s.execute(stmt)).all()))


async def find(s: AsyncSession, scope: Scope, sg_id: str) -> dict[str, Any]:
    row = (await s.execute(_select(scope).where(SecurityGroup.id == sg_id))).first()
    if row is None:
        raise errors.SecurityGroupNotFound(id=sg_id)
    return (await _views(s, [row]))[0]


async def _views(s: AsyncSession, rows: list[Any]) -> list[dict[str, Any]]:
    ids = [row[0].id for row in rows]
    rules = await sg_rules.of_groups(s, ids)
    tags = await standard.tags_of(s, TAGS, ids)
    return [
        {
            "id": sg.id,
            "name": sg.name,
            "tenant_id": sg.project_id,
            "project_id": sg.project_id,
            "security_group_rules": rules[sg.id],
            "stateful": sg.stateful,
            "shared": bool(shared),
            "tags": tags[sg.id],
            **standard.standard_view(sg),
        }
        for sg, shared in rows
    ]


async def usable(s: AsyncSession, project_id: str, ids: list[str]) -> None:
    """404 SecurityGroupNotFound unless the project can see every one of ``ids``."""
    scope = Scope(project_id)
    # KEY SHARE: a concurrent delete of one of them waits for this port (and then sees
    # it bound), or this port waits for the delete (and then does not find the group).
    found = set(
        await s.scalars(
            select(SecurityGroup.id)
            .where(SecurityGroup.id.in_(ids), visible(scope))
            .with_for_update(key_share=True)
        )
    )
    for sg_id in ids:
        if sg_id not in found:
            raise errors.SecurityGroupNotFound(id=sg_id)


_DEFAULT_OF = select(DefaultSecurityGroup.security_group_id).where(
    DefaultSecurityGroup.project_id == bindparam("project_id")
)


async def default_of(s: AsyncSession, project_id: str) -> str | None:
    found = await s.scalar(_DEFAULT_OF, {"project_id": project_id})
    return None if found is None else str(found)


async def ensure_default(s: AsyncSession, project_id: str) -> str:
    """The project's default group, created with its standard rules if it has none."""
    found = await default_of(s, project_id)
    if found is not None:
        return found
    await lock(s, f"default-sg:{project_id}")
    found = await default_of(s, project_id)
    if found is not None:
        return found
    sg_id = standard.new_id()
    s.add(
        SecurityGroup(
            **standard.stamp(
                id=sg_id,
                project_id=project_id,
                name=DEFAULT_NAME,
                description="Default security group",
                stateful=True,
            )
        )
    )
    await s.flush()
    s.add(DefaultSecurityGroup(project_id=project_id, security_group_id=sg_id))
    await sg_rules.add_standard(s, sg_id, project_id, default_group=True)
    return sg_id


async def ensure_default_in(db: Database, project_id: str) -> None:
    """``ensure_default`` from a read path: a write transaction only if it is missing."""
    if not project_id:
        return
    async with db.reader() as s:
        if await default_of(s, project_id) is not None:
            return
    async with db.session() as s:
        await ensure_default(s, project_id)


async def create(s: AsyncSession, item: dict[str, Any]) -> str:
    if item.get("name") == DEFAULT_NAME:
        raise errors.SecurityGroupDefaultAlreadyExists()
    sg_id = standard.new_id()
    s.add(
        SecurityGroup(
            **standard.stamp(
                id=sg_id,
                project_id=item["project_id"],
                name=item.get("name", ""),
                description=item.get("description", ""),
                stateful=item.get("stateful", True),
            )
        )
    )
    await s.flush()
    await sg_rules.add_standard(s, sg_id, item["project_id"], default_group=False)
    if item.get("tags"):
        await standard.set_tags(s, TAGS, sg_id, item["tags"])
    return sg_id


async def is_default(s: AsyncSession, sg_id: str) -> bool:
    found = await s.scalar(
        select(DefaultSecurityGroup.project_id).where(
            DefaultSecurityGroup.security_group_id == sg_id
        )
    )
    return found is not None


async def in_use(s: AsyncSession, sg_id: str) -> bool:
    found = await s.scalar(
        select(SecurityGroupPortBinding.port_id)
        .where(SecurityGroupPortBinding.security_group_id == sg_id)
        .limit(1)
    )
    return found is not None


async def delete_group(s: AsyncSession, sg_id: str) -> None:
    """Delete a group no port uses (its rules, and rules naming it as remote, go too)."""
    locked = await s.scalar(
        select(SecurityGroup.id).where(SecurityGroup.id == sg_id).with_for_update()
    )
    if locked is None:
        raise errors.SecurityGroupNotFound(id=sg_id)
    if await in_use(s, sg_id):
        raise errors.SecurityGroupInUse(id=sg_id)
    await s.execute(
        delete(DefaultSecurityGroup).where(DefaultSecurityGroup.security_group_id == sg_id)
    )
    await s.execute(
        delete(SecurityGroupRule).where(
            (SecurityGroupRule.security_group_id == sg_id)
            | (SecurityGroupRule.remote_group_id == sg_id)
        )
    )
    await standard.clear_tags(s, TAGS, [sg_id])
    await rbac.drop_all(s, "security_group", [sg_id])
    await s.execute(delete(SecurityGroup).where(SecurityGroup.id == sg_id))
