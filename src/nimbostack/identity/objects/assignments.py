"""Effective roles: direct, through groups, inherited down the tree, and implied."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from nimbostack.identity.db.models import Assignment, ImpliedRole, Membership, Project, Role

SYSTEM_TARGET = "system"


async def group_ids_of(session: AsyncSession, user_id: str) -> list[str]:
    rows = await session.scalars(select(Membership.group_id).where(Membership.user_id == user_id))
    return list(rows)


async def project_ancestry(session: AsyncSession, project_id: str) -> tuple[list[str], str | None]:
    """The ids of a project's ancestors (nearest first), and its domain id."""
    ancestors: list[str] = []
    project = await session.get(Project, project_id)
    domain_id = project.domain_id if project else None
    seen = {project_id}
    while project is not None and project.parent_id and project.parent_id not in seen:
        seen.add(project.parent_id)
        parent = await session.get(Project, project.parent_id)
        if parent is None or parent.is_domain:
            break
        ancestors.append(parent.id)
        project = parent
    return ancestors, domain_id


async def implied_closure(session: AsyncSession, role_ids: Iterable[str]) -> set[str]:
    """Every role reachable from ``role_ids`` through implication rules."""
    result = set(role_ids)
    rows = (
        await session.execute(select(ImpliedRole.prior_role_id, ImpliedRole.implied_role_id))
    ).all()
    implies: dict[str, list[str]] = {}
    for prior, implied in rows:
        implies.setdefault(prior, []).append(implied)
    stack = list(result)
    while stack:
        for implied in implies.get(stack.pop(), []):
            if implied not in result:
                result.add(implied)
                stack.append(implied)
    return result


async def direct_role_ids(
    session: AsyncSession,
    user_id: str,
    *,
    project_id: str | None = None,
    domain_id: str | None = None,
    system: bool = False,
) -> set[str]:
    """Roles granted on the scope, directly or via groups or inheritance (not implied)."""
    actors = [user_id, *await group_ids_of(session, user_id)]
    wanted: list[tuple[str, bool]] = []  # (target_id, must_be_inherited)
    if project_id:
        ancestors, dom = await project_ancestry(session, project_id)
        wanted.append((project_id, False))
        wanted.extend((a, True) for a in ancestors)
        if dom:
            wanted.append((dom, True))
    elif domain_id:
        wanted.append((domain_id, False))
    elif system:
        wanted.append((SYSTEM_TARGET, False))
    else:
        return set()
    targets = [t for t, _ in wanted]
    rows = await session.execute(
        select(Assignment.target_id, Assignment.role_id, Assignment.inherited).where(
            Assignment.actor_id.in_(actors), Assignment.target_id.in_(targets)
        )
    )
    must_inherit = dict(wanted)
    return {role for target, role, inherited in rows if inherited == must_inherit[target]}


async def effective_roles(
    session: AsyncSession,
    user_id: str,
    *,
    project_id: str | None = None,
    domain_id: str | None = None,
    system: bool = False,
) -> list[tuple[str, str]]:
    """(id, name) of every role the user holds on the scope, implied ones included."""
    direct = await direct_role_ids(
        session, user_id, project_id=project_id, domain_id=domain_id, system=system
    )
    if not direct:
        return []
    ids = await implied_closure(session, direct)
    # Domain-specific roles never reach a token: only the global roles they imply do.
    rows = await session.execute(
        select(Role.id, Role.name).where(Role.id.in_(ids), Role.domain_id == "")
    )
    return sorted((rid, name) for rid, name in rows)
