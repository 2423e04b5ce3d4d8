"""Project tags: /v3/projects/{project_id}/tags[/{tag}]."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from nimbostack.core.api.request import ApiRequest
from nimbostack.core.api.responses import empty, json_response, url_segment
from nimbostack.core.errors import BadRequest, NotFound
from nimbostack.identity.api.entities import get_or_404, reading, writing
from nimbostack.identity.api.projects import target
from nimbostack.identity.db.models import Project
from nimbostack.identity.objects.projects import MAX_TAGS, TAGS, check_tag

REPLACE = {
    "type": "object",
    "properties": {"tags": TAGS},
    "required": ["tags"],
    "additionalProperties": False,
}


def _tags_body(project: Project) -> dict[str, Any]:
    return {"tags": list(project.tags or [])}


async def list_project_tags(req: ApiRequest) -> Response:
    project_id = req.param("project_id")
    req.enforce("identity:list_project_tags", target(project_id))
    async with reading(req) as s:
        project = await get_or_404(s, Project, project_id, "project")
    return json_response(_tags_body(project))


async def replace_project_tags(req: ApiRequest) -> Response:
    project_id = req.param("project_id")
    req.enforce("identity:update_project_tags", target(project_id))
    body = await req.json(REPLACE)
    async with writing(req, "project") as s:
        project = await get_or_404(s, Project, project_id, "project")
        project.tags = list(body["tags"])
    return json_response(_tags_body(project))


async def delete_project_tags(req: ApiRequest) -> Response:
    project_id = req.param("project_id")
    req.enforce("identity:delete_project_tags", target(project_id))
    async with writing(req, "project") as s:
        project = await get_or_404(s, Project, project_id, "project")
        project.tags = []
    return empty(204)


async def check_project_tag(req: ApiRequest) -> Response:
    project_id, tag = req.param("project_id"), req.param("tag")
    req.enforce("identity:get_project_tag", target(project_id))
    async with reading(req) as s:
        project = await get_or_404(s, Project, project_id, "project")
    if tag not in (project.tags or []):
        raise NotFound(f"Could not find project tag: {tag}.")
    return empty(204)


async def add_project_tag(req: ApiRequest) -> Response:
    project_id, tag = req.param("project_id"), req.param("tag")
    req.enforce("identity:create_project_tag", target(project_id))
    check_tag(tag)
    async with writing(req, "project") as s:
        project = await get_or_404(s, Project, project_id, "project", lock=True)
        tags = list(project.tags or [])
        if tag not in tags:
            if len(tags) >= MAX_TAGS:
                raise BadRequest(f"A project may have at most {MAX_TAGS} tags.")
            project.tags = [*tags, tag]
    location = f"{req.http.base_url}v3/projects/{url_segment(project_id)}/tags/{url_segment(tag)}"
    return empty(201, {"Location": location})


async def delete_project_tag(req: ApiRequest) -> Response:
    project_id, tag = req.param("project_id"), req.param("tag")
    req.enforce("identity:delete_project_tag", target(project_id))
    async with writing(req, "project") as s:
        project = await get_or_404(s, Project, project_id, "project", lock=True)
        if tag not in (project.tags or []):
            raise NotFound(f"Could not find project tag: {tag}.")
        project.tags = [t for t in project.tags if t != tag]
    return empty(204)
