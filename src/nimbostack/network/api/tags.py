"""``/v2.0/<resources>/<id>/tags[/<tag>]`` for every taggable resource (standard-attr-tag).

A resource module describes itself with a ``Taggable`` (how to find one as the caller
sees it, and its policy target); ``routes`` gives the seven tag routes of it. Tags are
also accepted in a create body (tag-creation). A change of tags bumps the resource's
revision, as any other change does.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from nimbostack.core.api.app import Route
from nimbostack.core.api.params import shown
from nimbostack.core.api.request import ApiRequest
from nimbostack.core.api.responses import empty, json_response
from nimbostack.core.api.schema import has_control_chars
from nimbostack.core.db.locks import get_for_update
from nimbostack.network.api import access
from nimbostack.network.api.attributes import UNSET, Attr
from nimbostack.network.api.context import scope
from nimbostack.network.api.validators import list_of, string
from nimbostack.network.db.models import Owned, Tag
from nimbostack.network.errors import HTTPBadRequest, InvalidInput, TagNotFound
from nimbostack.network.extensions import Extension
from nimbostack.network.objects import standard
from nimbostack.network.objects.scope import Scope
from nimbostack.network.state import state_of

MAX_TAGS = 50


def valid_tag(value: Any) -> str:
    """One tag: Neutron's (a string of up to 255 characters), with no control character."""
    text = str(string(255)(value))
    if has_control_chars(text):
        raise ValueError(f"{shown(text)} has control characters")
    return text


ACTIONS = ("get", "create", "update", "delete")
TAGS_ATTR = Attr("tags", list_of(valid_tag, unique=True, max_items=MAX_TAGS), UNSET, policy=True)
Finder = Callable[[AsyncSession, Scope, str], Awaitable[dict[str, Any]]]


@dataclass(frozen=True)
class Taggable:
    """A resource tags can be put on."""

    plural: str
    singular: str
    model: type[Owned]
    find: Finder
    target: Callable[[dict[str, Any]], dict[str, Any]]
    show_rule: str  # get_<singular>: who may see the resource (a refused change is a 404)

    @property
    def path(self) -> str:
        return f"/v2.0/{self.plural}/{{resource_id}}/tags"


def rules(res: Taggable) -> set[str]:
    """Every ``<action>_<singular>:tags`` rule the tag routes of ``res`` enforce."""
    return {access.attribute_rule(action, res.singular, "tags") for action in ACTIONS}


def extensions(taggables: list[Taggable]) -> tuple[Extension, ...]:
    names = ", ".join(t.plural for t in taggables)
    return (
        Extension(
            "standard-attr-tag",
            f"Tag support for resources with standard attribute: {names}",
            "Enables to set tag on resources with standard attribute.",
            "2017-01-01T00:00:00-00:00",
        ),
        Extension(
            "tag-creation",
            "Tag creation extension",
            "Allow to set tags on resource creation.",
            "2019-01-02T00:00:00-00:00",
        ),
    )


async def _parent(req: ApiRequest, res: Taggable, s: AsyncSession, action: str) -> dict[str, Any]:
    """The resource as the caller sees it; for a change, row-locked and read again.

    The lock makes concurrent changes of one resource's tags take turns, so none is
    lost and none inserts a tag another has just inserted.
    """
    view = await res.find(s, scope(req), req.param("resource_id"))
    if action == "get":
        access.enforce(req, access.attribute_rule(action, res.singular, "tags"), res.target(view))
        return view
    access.enforce_change(
        req, access.attribute_rule(action, res.singular, "tags"), res.show_rule, res.target(view)
    )
    await get_for_update(s, res.model, view["id"])
    # Read again under the lock: the tags as the last change left them (or a 404).
    return await res.find(s, scope(req), view["id"])


def _tags_body(body: Any) -> list[str]:
    if not isinstance(body, dict) or "tags" not in body:
        raise InvalidInput(error_message="Invalid tags body")
    try:
        tags: list[str] = TAGS_ATTR.convert(body["tags"])
    except ValueError as exc:
        if isinstance(body["tags"], list) and len(set(map(str, body["tags"]))) > MAX_TAGS:
            raise HTTPBadRequest(
                f"The number of tags exceed the per-resource limit of {MAX_TAGS}"
            ) from None
        raise InvalidInput(error_message=str(exc)) from None
    return tags


def _one_tag(req: ApiRequest) -> str:
    try:
        return valid_tag(req.param("tag"))
    except ValueError as exc:
        raise InvalidInput(error_message=str(exc)) from None


def routes(res: Taggable) -> list[Route]:
    """The tag routes of one resource."""

    async def list_tags(req: ApiRequest) -> Response:
        async with state_of(req).db.reader() as s:
            view = await _parent(req, res, s, "get")
        return json_response({"tags": view["tags"]})

    async def replace_tags(req: ApiRequest) -> Response:
        tags = _tags_body(await req.json())
        async with state_of(req).db.session() as s:
            view = await _parent(req, res, s, "update")
            await standard.set_tags(s, res.plural, view["id"], tags)
            await standard.bump(s, res.model, view["id"])
        return json_response({"tags": sorted(set(tags))})

    async def add_tags(req: ApiRequest) -> Response:
        tags = _tags_body(await req.json())
        async with state_of(req).db.session() as s:
            view = await _parent(req, res, s, "create")
            merged = sorted(set(view["tags"]) | set(tags))
            if len(merged) > MAX_TAGS:
                raise HTTPBadRequest(
                    f"The number of tags exceed the per-resource limit of {MAX_TAGS}"
                )
            await standard.set_tags(s, res.plural, view["id"], merged)
            await standard.bump(s, res.model, view["id"])
        return json_response({"tags": merged}, 201)

    async def clear_tags(req: ApiRequest) -> Response:
        async with state_of(req).db.session() as s:
            view = await _parent(req, res, s, "delete")
            await standard.clear_tags(s, res.plural, [view["id"]])
            await standard.bump(s, res.model, view["id"])
        return empty(204)

    async def check_tag(req: ApiRequest) -> Response:
        tag = _one_tag(req)
        async with state_of(req).db.reader() as s:
            view = await _parent(req, res, s, "get")
        if tag not in view["tags"]:
            raise TagNotFound(tag=tag)
        return empty(204)

    async def add_tag(req: ApiRequest) -> Response:
        tag = _one_tag(req)
        async with state_of(req).db.session() as s:
            view = await _parent(req, res, s, "update")
            if tag not in view["tags"]:
                if len(view["tags"]) >= MAX_TAGS:
                    raise HTTPBadRequest(
                        f"The number of tags exceed the per-resource limit of {MAX_TAGS}"
                    )
                s.add(Tag(resource_type=res.plural, resource_id=view["id"], tag=tag))
                await standard.bump(s, res.model, view["id"])
        return empty(201)

    async def remove_tag(req: ApiRequest) -> Response:
        tag = _one_tag(req)
        async with state_of(req).db.session() as s:
            view = await _parent(req, res, s, "delete")
            removed = await s.execute(
                delete(Tag).where(
                    Tag.resource_type == res.plural,
                    Tag.resource_id == view["id"],
                    Tag.tag == tag,
                )
            )
            if not getattr(removed, "rowcount", 0):
                raise TagNotFound(tag=tag)
            await standard.bump(s, res.model, view["id"])
        return empty(204)

    one = f"{res.path}/{{tag}}"
    return [
        Route("GET", res.path, list_tags),
        Route("PUT", res.path, replace_tags),
        Route("POST", res.path, add_tags),
        Route("DELETE", res.path, clear_tags),
        Route("GET", one, check_tag),
        Route("PUT", one, add_tag),
        Route("DELETE", one, remove_tag),
    ]


__all__ = ["TAGS_ATTR", "Taggable", "extensions", "routes"]
