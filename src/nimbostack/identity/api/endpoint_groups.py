"""Endpoint groups: /v3/OS-EP-FILTER/endpoint_groups and their project associations.

Groups and associations are stored and listed; the default catalog is not filtered by
them (as in Keystone, where filtering needs the endpoint-filter catalog driver).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from nimbostack.core.api.request import ApiRequest
from nimbostack.core.api.responses import empty, json_response
from nimbostack.core.errors import NotFound
from nimbostack.identity.api import endpoints, projects
from nimbostack.identity.api.entities import (
    DESCRIPTION,
    NAME,
    envelope,
    get_or_404,
    new_id,
    reading,
    writing,
)
from nimbostack.identity.api.links import collection, self_link
from nimbostack.identity.db.extension_models import EndpointGroup, ProjectEndpointGroup
from nimbostack.identity.db.models import Endpoint, Project

PREFIX = "/v3/OS-EP-FILTER"
_FILTERS = {
    "type": "object",
    "properties": {
        "interface": {"type": "string", "enum": list(endpoints.INTERFACES)},
        "service_id": {"type": "string", "minLength": 1, "maxLength": 64},
        "region_id": {"type": "string", "minLength": 1, "maxLength": 255},
    },
    "additionalProperties": False,
}
_FIELDS = {"name": NAME, "description": DESCRIPTION, "filters": _FILTERS}
CREATE = envelope("endpoint_group", _FIELDS, required=("name", "filters"))
UPDATE = envelope("endpoint_group", _FIELDS)


def view(req: ApiRequest, group: EndpointGroup) -> dict[str, Any]:
    return {
        "id": group.id,
        "name": group.name,
        "description": group.description,
        "filters": dict(group.filters),
        "links": self_link(req, f"{PREFIX}/endpoint_groups/{group.id}"),
    }


async def _group(s: AsyncSession, req: ApiRequest) -> EndpointGroup:
    return await get_or_404(s, EndpointGroup, req.param("endpoint_group_id"), "endpoint group")


async def list_endpoint_groups(req: ApiRequest) -> Response:
    req.enforce("identity:list_endpoint_groups", {})
    stmt = select(EndpointGroup).order_by(EndpointGroup.name)
    if "name" in req.query:
        stmt = stmt.where(EndpointGroup.name == req.query["name"])
    async with reading(req) as s:
        rows = list(await s.scalars(stmt))
    return json_response(collection(req, "endpoint_groups", [view(req, g) for g in rows]))


async def show_endpoint_group(req: ApiRequest) -> Response:
    req.enforce("identity:get_endpoint_group", {})
    async with reading(req) as s:
        group = await _group(s, req)
    return json_response({"endpoint_group": view(req, group)})


async def check_endpoint_group(req: ApiRequest) -> Response:
    req.enforce("identity:get_endpoint_group", {})
    async with reading(req) as s:
        await _group(s, req)
    return empty(200)


async def create_endpoint_group(req: ApiRequest) -> Response:
    req.enforce("identity:create_endpoint_group", {})
    body = (await req.json(CREATE))["endpoint_group"]
    group = EndpointGroup(
        id=new_id(),
        name=body["name"],
        description=body.get("description"),
        filters=body["filters"],
    )
    async with writing(req, "endpoint group") as s:
        s.add(group)
    return json_response({"endpoint_group": view(req, group)}, 201)


async def update_endpoint_group(req: ApiRequest) -> Response:
    req.enforce("identity:update_endpoint_group", {})
    body = (await req.json(UPDATE))["endpoint_group"]
    async with writing(req, "endpoint group") as s:
        group = await _group(s, req)
        for key in ("name", "description", "filters"):
            if key in body:
                setattr(group, key, body[key])
    return json_response({"endpoint_group": view(req, group)})


async def delete_endpoint_group(req: ApiRequest) -> Response:
    req.enforce("identity:delete_endpoint_group", {})
    async with writing(req, "endpoint group") as s:
        await s.delete(await _group(s, req))
    return empty(204)


async def list_group_endpoints(req: ApiRequest) -> Response:
    """The endpoints the group's filters select."""
    req.enforce("identity:list_endpoints_associated_with_endpoint_group", {})
    async with reading(req) as s:
        group = await _group(s, req)
        stmt = select(Endpoint).order_by(Endpoint.id)
        for key, value in group.filters.items():
            stmt = stmt.where(getattr(Endpoint, key) == value)
        rows = list(await s.scalars(stmt))
    return json_response(collection(req, "endpoints", [endpoints.view(req, e) for e in rows]))


async def list_group_projects(req: ApiRequest) -> Response:
    req.enforce("identity:list_projects_associated_with_endpoint_group", {})
    async with reading(req) as s:
        group = await _group(s, req)
        ids = select(ProjectEndpointGroup.project_id).where(
            ProjectEndpointGroup.endpoint_group_id == group.id
        )
        rows = list(await s.scalars(select(Project).where(Project.id.in_(ids))))
    return json_response(collection(req, "projects", [projects.view(req, p) for p in rows]))


async def list_project_groups(req: ApiRequest) -> Response:
    req.enforce("identity:list_endpoint_groups_for_project", {})
    project_id = req.param("project_id")
    async with reading(req) as s:
        await get_or_404(s, Project, project_id, "project")
        ids = select(ProjectEndpointGroup.endpoint_group_id).where(
            ProjectEndpointGroup.project_id == project_id
        )
        rows = list(await s.scalars(select(EndpointGroup).where(EndpointGroup.id.in_(ids))))
    return json_response(collection(req, "endpoint_groups", [view(req, g) for g in rows]))


async def _association(
    s: AsyncSession, req: ApiRequest
) -> tuple[EndpointGroup, Project, ProjectEndpointGroup | None]:
    group = await _group(s, req)
    project = await get_or_404(s, Project, req.param("project_id"), "project")
    row = await s.get(ProjectEndpointGroup, (group.id, project.id))
    return group, project, row


async def show_association(req: ApiRequest) -> Response:
    req.enforce("identity:get_endpoint_group_in_project", {})
    async with reading(req) as s:
        group, project, row = await _association(s, req)
    if row is None:
        raise NotFound(f"Could not find project endpoint group: {group.id}, {project.id}.")
    if req.http.method == "HEAD":
        return empty(200)
    return json_response({"project": projects.view(req, project)})


async def add_association(req: ApiRequest) -> Response:
    req.enforce("identity:add_endpoint_group_to_project", {})
    async with writing(req, "project endpoint group") as s:
        group, project, row = await _association(s, req)
        if row is None:
            s.add(ProjectEndpointGroup(endpoint_group_id=group.id, project_id=project.id))
    return empty(204)


async def remove_association(req: ApiRequest) -> Response:
    req.enforce("identity:remove_endpoint_group_from_project", {})
    async with writing(req, "project endpoint group") as s:
        group, project, row = await _association(s, req)
        if row is None:
            raise NotFound(f"Could not find project endpoint group: {group.id}, {project.id}.")
        await s.delete(row)
    return empty(204)
