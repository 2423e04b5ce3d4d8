"""Role assignment listing: direct grants, or effective ones (groups, inheritance, implied)."""

from __future__ import annotations

from dataclasses import dataclass, replace

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from nimbostack.identity.db.models import Assignment, ImpliedRole, Membership, Project, Role
from nimbostack.identity.objects.projects import children_map, descendants


@dataclass(frozen=True)
class RoleAssignment:
    """One listed assignment; ``via_group``/``prior_role_id`` say how an effective one arose."""

    role_id: str
    actor: str  # "user" or "group"
    actor_id: str
    scope: str  # "project", "domain" or "system"
    target_id: str
    inherited: bool = False
    via_group: str | None = None
    prior_role_id: str | None = None
    source: RoleAssignment | None = None

    @property
    def key(self) -> tuple[str, str, str, str, str, bool]:
        return (self.role_id, self.actor, self.actor_id, self.scope, self.target_id, self.inherited)


@dataclass
class AssignmentQuery:
    """The filters of GET /v3/role_assignments."""

    user_id: str | None = None
    group_id: str | None = None
    role_id: str | None = None
    project_id: str | None = None
    domain_id: str | None = None
    system: bool = False
    inherited_only: bool = False
    effective: bool = False
    include_subtree: bool = False


def _from_row(row: Assignment) -> RoleAssignment:
    actor = "user" if row.type.startswith("User") else "group"
    scope = row.type.removeprefix("User").removeprefix("Group").lower()
    return RoleAssignment(row.role_id, actor, row.actor_id, scope, row.target_id, row.inherited)


async def _members(session: AsyncSession) -> dict[str, list[str]]:
    result: dict[str, list[str]] = {}
    for user_id, group_id in await session.execute(select(Membership.user_id, Membership.group_id)):
        result.setdefault(group_id, []).append(user_id)
    return result


async def _implications(session: AsyncSession) -> dict[str, list[str]]:
    result: dict[str, list[str]] = {}
    for prior, implied in await session.execute(
        select(ImpliedRole.prior_role_id, ImpliedRole.implied_role_id)
    ):
        result.setdefault(prior, []).append(implied)
    return result


async def _direct(session: AsyncSession, q: AssignmentQuery) -> list[RoleAssignment]:
    stmt = select(Assignment)
    if q.effective and q.user_id:
        groups = await session.scalars(
            select(Membership.group_id).where(Membership.user_id == q.user_id)
        )
        stmt = stmt.where(Assignment.actor_id.in_([q.user_id, *groups]))
    elif q.user_id or q.group_id:
        stmt = stmt.where(Assignment.actor_id == (q.user_id or q.group_id))
    return [_from_row(row) for row in await session.scalars(stmt)]


async def _expand(session: AsyncSession, found: list[RoleAssignment]) -> list[RoleAssignment]:
    """Groups become their members, inherited grants land on the projects below them."""
    members = await _members(session)
    tree = await children_map(session)
    users: list[RoleAssignment] = []
    for a in found:
        if a.actor == "group":
            users.extend(
                replace(a, actor="user", actor_id=u, via_group=a.actor_id, source=a)
                for u in members.get(a.actor_id, [])
            )
        else:
            users.append(a)
    result: list[RoleAssignment] = []
    for a in users:
        if not a.inherited:
            result.append(a)
            continue
        result.extend(
            replace(a, scope="project", target_id=p, inherited=False, source=a.source or a)
            for p in descendants(tree, a.target_id)
        )
    return result


def _imply(found: list[RoleAssignment], implies: dict[str, list[str]]) -> list[RoleAssignment]:
    result = list(found)
    for a in found:
        seen = {a.role_id}
        stack = [a.role_id]
        while stack:
            prior = stack.pop()
            for implied in implies.get(prior, []):
                if implied not in seen:
                    seen.add(implied)
                    stack.append(implied)
                    result.append(
                        replace(a, role_id=implied, prior_role_id=prior, source=a.source or a)
                    )
    return result


async def _project_scope(session: AsyncSession, q: AssignmentQuery) -> set[str] | None:
    if not q.project_id:
        return None
    if not q.include_subtree:
        return {q.project_id}
    return {q.project_id, *descendants(await children_map(session), q.project_id)}


def _keep(a: RoleAssignment, q: AssignmentQuery, projects: set[str] | None) -> bool:
    if q.user_id and (a.actor != "user" or a.actor_id != q.user_id):
        return False
    if q.group_id and (a.actor != "group" or a.actor_id != q.group_id):
        return False
    if q.role_id and a.role_id != q.role_id:
        return False
    if projects is not None and (a.scope != "project" or a.target_id not in projects):
        return False
    if q.domain_id and (a.scope != "domain" or a.target_id != q.domain_id):
        return False
    if q.system and a.scope != "system":
        return False
    return not (q.inherited_only and not a.inherited)


async def list_role_assignments(session: AsyncSession, q: AssignmentQuery) -> list[RoleAssignment]:
    found = await _direct(session, q)
    if q.effective:
        found = await _expand(session, found)
        found = _imply(found, await _implications(session))
        # Domain-specific roles are not effective: only the global roles they imply are.
        domain_roles = set(await session.scalars(select(Role.id).where(Role.domain_id != "")))
        found = [a for a in found if a.role_id not in domain_roles]
    projects = await _project_scope(session, q)
    unique: dict[tuple[str, str, str, str, str, bool], RoleAssignment] = {}
    for a in found:
        if _keep(a, q, projects):
            unique.setdefault(a.key, a)
    return list(unique.values())


async def project_ids_of_user(session: AsyncSession, user_id: str) -> list[str]:
    """Projects where the user holds any role, directly, via groups or by inheritance."""
    found = await list_role_assignments(session, AssignmentQuery(user_id=user_id, effective=True))
    ids = {a.target_id for a in found if a.scope == "project"}
    existing = await session.scalars(select(Project.id).where(Project.id.in_(ids)))
    return list(existing)
