"""GET /v3/role_assignments: direct or effective assignments, optionally with names."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from nimbostack.core.api.request import ApiRequest
from nimbostack.core.api.responses import json_response
from nimbostack.core.errors import BadRequest
from nimbostack.identity.api.entities import reading
from nimbostack.identity.api.links import base_url, collection
from nimbostack.identity.db.models import Domain, Group, Project, Role, User
from nimbostack.identity.objects import role_assignments
from nimbostack.identity.objects.role_assignments import AssignmentQuery, RoleAssignment


def _query(req: ApiRequest) -> AssignmentQuery:
    q = req.query
    inherited_to = q.get("scope.OS-INHERIT:inherited_to")
    if inherited_to not in (None, "projects"):
        raise BadRequest("scope.OS-INHERIT:inherited_to only accepts the value 'projects'.")
    system = q.get("scope.system")
    if system not in (None, "all"):
        raise BadRequest("scope.system only accepts the value 'all'.")
    query = AssignmentQuery(
        user_id=q.get("user.id"),
        group_id=q.get("group.id"),
        role_id=q.get("role.id"),
        project_id=q.get("scope.project.id"),
        domain_id=q.get("scope.domain.id"),
        system=system == "all",
        inherited_only=inherited_to is not None,
        effective="effective" in q and req.query_bool("effective"),
        include_subtree="include_subtree" in q and req.query_bool("include_subtree"),
    )
    _check(query)
    return query


def _check(q: AssignmentQuery) -> None:
    if q.user_id and q.group_id:
        raise BadRequest("Specify a user or group, not both.")
    if sum(bool(x) for x in (q.project_id, q.domain_id, q.system)) > 1:
        raise BadRequest("Specify one of a project, a domain or the system as the scope.")
    if q.effective and q.group_id:
        raise BadRequest(
            "Combining effective and group filter will always result in an empty list."
        )
    if q.effective and q.inherited_only:
        raise BadRequest("Combining effective and inherited filters is not supported.")
    if q.include_subtree and not q.project_id:
        raise BadRequest("include_subtree requires the scope.project.id filter.")


def _grant_path(a: RoleAssignment) -> str:
    actor = f"{a.actor}s/{a.actor_id}"
    if a.scope == "system":
        return f"/v3/system/{actor}/roles/{a.role_id}"
    path = f"/v3/{a.scope}s/{a.target_id}/{actor}/roles/{a.role_id}"
    if a.inherited:
        return f"/v3/OS-INHERIT{path}/inherited_to_projects"
    return path


def _links(req: ApiRequest, a: RoleAssignment) -> dict[str, str]:
    base = base_url(req)
    origin = a.source or a  # the grant this assignment comes from
    links = {"assignment": f"{base}{_grant_path(origin)}"}
    if a.via_group:
        links["membership"] = f"{base}/v3/groups/{a.via_group}/users/{a.actor_id}"
    if a.prior_role_id:
        links["prior_role"] = f"{base}/v3/roles/{a.prior_role_id}/implies/{a.role_id}"
    return links


class _Names:
    """Names and domains of everything the listed assignments mention, loaded in bulk."""

    def __init__(self) -> None:
        self.roles: dict[str, Role] = {}
        self.users: dict[str, User] = {}
        self.groups: dict[str, Group] = {}
        self.projects: dict[str, Project] = {}
        self.domains: dict[str, Domain] = {}

    async def load(self, s: AsyncSession, found: list[RoleAssignment]) -> None:
        user_ids = {a.actor_id for a in found if a.actor == "user"}
        group_ids = {a.actor_id for a in found if a.actor == "group"}
        project_ids = {a.target_id for a in found if a.scope == "project"}
        self.roles = {r.id: r for r in await s.scalars(select(Role))}
        self.domains = {d.id: d for d in await s.scalars(select(Domain))}
        users = await s.scalars(select(User).where(User.id.in_(user_ids)))
        self.users = {u.id: u for u in users}
        groups = await s.scalars(select(Group).where(Group.id.in_(group_ids)))
        self.groups = {g.id: g for g in groups}
        projects = await s.scalars(select(Project).where(Project.id.in_(project_ids)))
        self.projects = {p.id: p for p in projects}

    def domain(self, domain_id: str) -> dict[str, Any]:
        row = self.domains.get(domain_id)
        return {"id": domain_id, "name": row.name if row else None}

    def named(self, kind: str, entity_id: str) -> dict[str, Any]:
        tables: dict[str, dict[str, Any]] = {
            "role": self.roles,
            "user": self.users,
            "group": self.groups,
            "project": self.projects,
            "domain": self.domains,
        }
        row = tables[kind].get(entity_id)
        ref: dict[str, Any] = {"id": entity_id}
        if row is None:
            return ref
        ref["name"] = row.name
        owner = getattr(row, "domain_id", None) if kind != "domain" else None
        if owner:
            ref["domain"] = self.domain(owner)
        return ref


def _view(req: ApiRequest, a: RoleAssignment, names: _Names | None) -> dict[str, Any]:
    def ref(kind: str, entity_id: str) -> dict[str, Any]:
        return names.named(kind, entity_id) if names else {"id": entity_id}

    scope: dict[str, Any]
    if a.scope == "system":
        scope = {"system": {"all": True}}
    else:
        scope = {a.scope: ref(a.scope, a.target_id)}
    if a.inherited:
        scope["OS-INHERIT:inherited_to"] = "projects"
    return {
        "role": ref("role", a.role_id),
        a.actor: ref(a.actor, a.actor_id),
        "scope": scope,
        "links": _links(req, a),
    }


async def list_role_assignments(req: ApiRequest) -> Response:
    query = _query(req)
    if query.include_subtree:
        target = {"target": {"project": {"id": query.project_id}}}
        req.enforce("identity:list_role_assignments_for_tree", target)
    else:
        req.enforce("identity:list_role_assignments", {})
    include_names = "include_names" in req.query and req.query_bool("include_names")
    async with reading(req) as s:
        found = await role_assignments.list_role_assignments(s, query)
        names = None
        if include_names:
            names = _Names()
            await names.load(s, found)
    items = [_view(req, a, names) for a in found]
    return json_response(collection(req, "role_assignments", items))
