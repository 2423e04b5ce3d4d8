"""Projects: /v3/projects and /v3/users/{user_id}/projects."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from nimbostack.core.api.request import ApiRequest
from nimbostack.core.api.responses import empty, json_response
from nimbostack.core.db.locks import get_for_update
from nimbostack.core.errors import BadRequest, Forbidden
from nimbostack.identity.api import domain_projects
from nimbostack.identity.api.entities import (
    BOOLEAN,
    DESCRIPTION,
    NULLABLE_ID,
    duplicate,
    envelope,
    get_or_404,
    new_id,
    reading,
    writing,
)
from nimbostack.identity.api.links import collection, self_link
from nimbostack.identity.db.models import Domain, Project, User
from nimbostack.identity.objects import projects as project_objects
from nimbostack.identity.objects.role_assignments import project_ids_of_user
from nimbostack.identity.tokens.revoke import revoke

_NAME = {"type": "string", "minLength": 1, "maxLength": 64}
_FIELDS = {
    "name": _NAME,
    "description": DESCRIPTION,
    "enabled": BOOLEAN,
    "tags": project_objects.TAGS,
    "options": {"type": "object"},
}
CREATE = envelope(
    "project",
    {**_FIELDS, "domain_id": NULLABLE_ID, "parent_id": NULLABLE_ID, "is_domain": BOOLEAN},
    required=("name",),
    strict=False,
)
UPDATE = envelope("project", {**_FIELDS, "is_domain": BOOLEAN}, strict=False)
_COLUMNS = ("name", "description", "enabled", "tags", "options")
_FIXED = ("id", "domain_id", "parent_id", "is_domain", "links")


def view(req: ApiRequest, project: Project) -> dict[str, Any]:
    return {
        **project.extra,
        "id": project.id,
        "name": project.name,
        "domain_id": project.domain_id,
        "description": project.description or "",
        "enabled": project.enabled,
        "parent_id": project.parent_id or project.domain_id,
        "is_domain": False,
        "tags": list(project.tags or []),
        "options": dict(project.options or {}),
        "links": self_link(req, f"/v3/projects/{project.id}"),
    }


def target(project_id: str) -> dict[str, Any]:
    return {"target": {"project": {"id": project_id}}, "project_id": project_id}


def _filter(req: ApiRequest, rows: list[Project]) -> list[Project]:
    query = req.query
    result = []
    enabled = req.query_bool("enabled") if "enabled" in query else None
    for p in rows:
        if "name" in query and p.name != query["name"]:
            continue
        if "domain_id" in query and p.domain_id != query["domain_id"]:
            continue
        if "parent_id" in query and (p.parent_id or p.domain_id) != query["parent_id"]:
            continue
        if enabled is not None and p.enabled != enabled:
            continue
        if not project_objects.matches_tags(p.tags or [], dict(query)):
            continue
        result.append(p)
    return result


async def list_projects(req: ApiRequest) -> Response:
    req.enforce("identity:list_projects", {})
    if "is_domain" in req.query and req.query_bool("is_domain"):
        async with reading(req) as s:
            domains = list(await s.scalars(select(Domain).order_by(Domain.name)))
        wanted = [d for d in domains if req.query.get("name", d.name) == d.name]
        items = [domain_projects.view(req, d) for d in wanted]
        return json_response(collection(req, "projects", items))
    async with reading(req) as s:
        rows = list(await s.scalars(select(Project).order_by(Project.name)))
    items = [view(req, p) for p in _filter(req, rows)]
    return json_response(collection(req, "projects", items))


async def list_user_projects(req: ApiRequest) -> Response:
    user_id = req.param("user_id")
    req.enforce("identity:list_user_projects", {"user_id": user_id})
    async with reading(req) as s:
        await get_or_404(s, User, user_id, "user")
        ids = await project_ids_of_user(s, user_id)
        rows = list(await s.scalars(select(Project).where(Project.id.in_(ids))))
    items = [view(req, p) for p in _filter(req, sorted(rows, key=lambda p: p.name))]
    return json_response(collection(req, "projects", items))


async def show_project(req: ApiRequest) -> Response:
    project_id = req.param("project_id")
    req.enforce("identity:get_project", target(project_id))
    async with reading(req) as s:
        project = await s.get(Project, project_id)
        if project is None:
            domain = await domain_projects.find(s, project_id)
            return json_response({"project": domain_projects.view(req, domain)})
    return json_response({"project": view(req, project)})


async def _placement(
    req: ApiRequest, s: AsyncSession, body: dict[str, Any]
) -> tuple[str, str | None]:
    """The new project's domain id and parent project id (None: top level)."""
    ctx = req.context
    domain_id = body.get("domain_id")
    parent_id = body.get("parent_id")
    if parent_id and not await s.get(Domain, parent_id):
        parent = await s.get(Project, parent_id)
        if parent is None:
            raise BadRequest(f"Could not find project: {parent_id}.")
        if domain_id and domain_id != parent.domain_id:
            raise BadRequest("The project's domain must be the domain of its parent.")
        return parent.domain_id, parent.id
    if parent_id:
        if domain_id and domain_id != parent_id:
            raise BadRequest("The project's domain must be the domain of its parent.")
        domain_id = parent_id
    domain_id = domain_id or ctx.project_domain_id or ctx.domain_id or "default"
    if not await s.get(Domain, domain_id):
        raise BadRequest(f"Could not find domain: {domain_id}.")
    return domain_id, None


async def create_project(req: ApiRequest) -> Response:
    req.enforce("identity:create_project", {})
    body = (await req.json(CREATE))["project"]
    if body.get("is_domain"):
        return await domain_projects.create(req, body)
    async with writing(req, "project") as s:
        domain_id, parent_id = await _placement(req, s, body)
        clash = select(Project.id).where(
            Project.domain_id == domain_id, Project.name == body["name"]
        )
        if await s.scalar(clash):
            raise duplicate("project", body["name"], domain_id)
        project = Project(
            id=new_id(),
            name=body["name"],
            domain_id=domain_id,
            parent_id=parent_id,
            description=body.get("description") or "",
            enabled=body.get("enabled", True),
            is_domain=False,
            tags=body.get("tags", []),
            options=body.get("options", {}),
            extra={k: v for k, v in body.items() if k not in (*_COLUMNS, *_FIXED)},
        )
        s.add(project)
    return json_response({"project": view(req, project)}, 201)


async def update_project(req: ApiRequest) -> Response:
    project_id = req.param("project_id")
    req.enforce("identity:update_project", target(project_id))
    body = (await req.json(UPDATE))["project"]
    async with writing(req, "project") as s:
        project = await get_for_update(s, Project, project_id)
        if project is None:
            domain = await domain_projects.find(s, project_id, lock=True)
            if body.get("is_domain", True) is not True:
                raise BadRequest("Update of `is_domain` is not allowed.")
            await domain_projects.update(req, s, domain, body)
            return json_response({"project": domain_projects.view(req, domain)})
        if body.get("is_domain", False) is not False:
            raise BadRequest("Update of `is_domain` is not allowed.")
        if "domain_id" in body and body["domain_id"] != project.domain_id:
            raise BadRequest("Cannot change the domain_id of a project.")
        if "parent_id" in body and body["parent_id"] not in (project.parent_id, None):
            raise Forbidden("Update of `parent_id` is not allowed.")
        name = body.get("name")
        if name and name != project.name:
            clash = select(Project.id).where(
                Project.domain_id == project.domain_id, Project.name == name
            )
            if await s.scalar(clash):
                raise duplicate("project", name, project.domain_id)
        if body.get("enabled") is False and project.enabled:
            await revoke(s, project_id=project_id)
        for key in _COLUMNS:
            if key in body:
                setattr(project, key, body[key] if key != "description" else body[key] or "")
        extra = {k: v for k, v in body.items() if k not in (*_COLUMNS, *_FIXED)}
        project.extra = {**project.extra, **extra}
    return json_response({"project": view(req, project)})


async def delete_project(req: ApiRequest) -> Response:
    project_id = req.param("project_id")
    req.enforce("identity:delete_project", target(project_id))
    async with writing(req, "project") as s:
        project = await s.get(Project, project_id)
        if project is None:
            await domain_projects.delete(s, await domain_projects.find(s, project_id))
            return empty(204)
        if await project_objects.has_children(s, project_id):
            raise Forbidden(
                f"Cannot delete the project {project_id} since it is not a leaf in the hierarchy."
            )
        await project_objects.delete_project(s, project)
        await revoke(s, project_id=project_id)
    return empty(204)
