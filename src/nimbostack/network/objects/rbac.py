"""RBAC entries: who else may use a network, security group, subnet pool or address group.

A network is ``access_as_shared`` with a project (it may attach ports and subnets) or
``access_as_external`` (it may attach routers and floating IPs); ``*`` targets every
project. ``shared=True`` on a resource is a ``*`` shared entry owned by its owner, and
``router:external=True`` a ``*`` external one. Removing a grant that a project still
depends on (its ports or subnets on the network, its ports in the group) is refused.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from nimbostack.network.db.models import (
    AddressGroup,
    Network,
    Port,
    RbacEntry,
    SecurityGroup,
    SecurityGroupPortBinding,
    Subnet,
    SubnetPool,
)
from nimbostack.network.objects.scope import EVERYONE, EXTERNAL, SHARED
from nimbostack.network.objects.standard import new_id

# object_type -> (model, actions it supports)
OBJECT_TYPES: dict[str, tuple[Any, tuple[str, ...]]] = {
    "network": (Network, (SHARED, EXTERNAL)),
    "security_group": (SecurityGroup, (SHARED,)),
    "subnetpool": (SubnetPool, (SHARED,)),
    "address_group": (AddressGroup, (SHARED,)),
}


async def grant(
    s: AsyncSession, *, owner: str, object_type: str, object_id: str, action: str, target: str
) -> str:
    entry = RbacEntry(
        id=new_id(),
        project_id=owner,
        object_type=object_type,
        object_id=object_id,
        action=action,
        target_project=target,
    )
    s.add(entry)
    await s.flush()
    return entry.id


async def find(
    s: AsyncSession, object_type: str, object_id: str, action: str, target: str
) -> str | None:
    found = await s.scalar(
        select(RbacEntry.id).where(
            RbacEntry.object_type == object_type,
            RbacEntry.object_id == object_id,
            RbacEntry.action == action,
            RbacEntry.target_project == target,
        )
    )
    return None if found is None else str(found)


async def drop_all(s: AsyncSession, object_type: str, object_ids: list[str]) -> None:
    await s.execute(
        delete(RbacEntry).where(
            RbacEntry.object_type == object_type, RbacEntry.object_id.in_(object_ids)
        )
    )


async def dependents(
    s: AsyncSession, object_type: str, object_id: str, owner: str, action: str
) -> set[str]:
    """Projects other than the owner whose resources use the object through ``action``."""
    if action != SHARED:
        return set()
    if object_type == "network":
        ports = select(Port.project_id).where(Port.network_id == object_id)
        subnets = select(Subnet.project_id).where(Subnet.network_id == object_id)
        found = set(await s.scalars(ports)) | set(await s.scalars(subnets))
    elif object_type == "security_group":
        found = set(
            await s.scalars(
                select(Port.project_id)
                .join(SecurityGroupPortBinding, SecurityGroupPortBinding.port_id == Port.id)
                .where(SecurityGroupPortBinding.security_group_id == object_id)
            )
        )
    elif object_type == "subnetpool":
        found = set(
            await s.scalars(select(Subnet.project_id).where(Subnet.subnetpool_id == object_id))
        )
    else:
        found = set()
    found.discard(owner)
    return found


async def still_granted(
    s: AsyncSession, object_type: str, object_id: str, *, projects: set[str], without: str
) -> set[str]:
    """Of ``projects``, those another shared entry (not ``without``) still grants access."""
    targets = set(
        await s.scalars(
            select(RbacEntry.target_project).where(
                RbacEntry.object_type == object_type,
                RbacEntry.object_id == object_id,
                RbacEntry.action == SHARED,
                RbacEntry.id != without,
            )
        )
    )
    if EVERYONE in targets:
        return set(projects)
    return projects & targets


async def check_removable(s: AsyncSession, entry: RbacEntry, owner: str) -> list[str]:
    """Projects that would lose access they depend on if ``entry`` went away."""
    users = await dependents(s, entry.object_type, entry.object_id, owner, entry.action)
    if entry.target_project != EVERYONE:
        users &= {entry.target_project}
    kept = await still_granted(
        s, entry.object_type, entry.object_id, projects=users, without=entry.id
    )
    return sorted(users - kept)


def view(entry: Any) -> dict[str, Any]:
    return {
        "id": entry.id,
        "project_id": entry.project_id,
        "tenant_id": entry.project_id,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "action": entry.action,
        "target_tenant": entry.target_project,
        "target_project": entry.target_project,
    }
