"""Domain configuration: /v3/domains/{domain_id}/config[/{group}[/{option}]] and defaults."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from nimbostack.core.api.request import ApiRequest
from nimbostack.core.api.responses import empty, json_response
from nimbostack.core.errors import BadRequest, NotFound
from nimbostack.identity.api.entities import get_or_404, reading, writing
from nimbostack.identity.db.models import Domain
from nimbostack.identity.objects import domain_config as dc

BODY = {
    "type": "object",
    "properties": {"config": {"type": "object"}},
    "required": ["config"],
    "additionalProperties": False,
}


async def _config(req: ApiRequest) -> dict[str, Any]:
    config: dict[str, Any] = (await req.json(BODY))["config"]
    return config


def _path(req: ApiRequest) -> tuple[str | None, str | None]:
    params = req.path_params
    return params.get("group"), params.get("option")


async def _stored(s: AsyncSession, req: ApiRequest) -> dc.Config:
    """The domain's config, narrowed to the URL's group or option; 404 when absent."""
    domain_id = req.param("domain_id")
    await get_or_404(s, Domain, domain_id, "domain")
    group, option = _path(req)
    if group is not None:
        dc.check_option(group, option)
    config = await dc.load(s, domain_id)
    missing = not config
    what = "domain config"
    if group is not None:
        what = f"domain config group {group}"
        missing = missing or group not in config
    if group is not None and option is not None:
        what = f"domain config option {group}.{option}"
        missing = missing or option not in config[group]
    if missing:
        raise NotFound(f"Could not find {what} for domain: {domain_id}.")
    return config


async def show_default(req: ApiRequest) -> Response:
    req.enforce("identity:get_domain_config_default", {})
    group, option = _path(req)
    return json_response({"config": dc.default(group, option)})


async def show_config(req: ApiRequest) -> Response:
    req.enforce("identity:get_domain_config", {})
    group, option = _path(req)
    async with reading(req) as s:
        config = await _stored(s, req)
    if group is None:
        return json_response({"config": config})
    if option is None:
        return json_response({"config": {group: config[group]}})
    return json_response({"config": {option: config[group][option]}})


async def create_config(req: ApiRequest) -> Response:
    """Replace the whole config: 201 when the domain had none, else 200."""
    req.enforce("identity:create_domain_config", {})
    config = await _config(req)
    dc.check_config(config)
    domain_id = req.param("domain_id")
    async with writing(req, "domain config") as s:
        # Changes of one domain's config take turns: options are rows set one by one.
        await get_or_404(s, Domain, domain_id, "domain", lock=True)
        replaced = await dc.remove(s, domain_id)
        await dc.merge(s, domain_id, config)
        stored = await dc.load(s, domain_id)
    return json_response({"config": stored}, 200 if replaced else 201)


def _scoped_update(req: ApiRequest, config: dict[str, Any]) -> dc.Config:
    """The body of a group or option PATCH, as a whole-config update."""
    group, option = _path(req)
    if group is None:
        return config
    if option is None:
        if set(config) != {group}:
            raise BadRequest(f"Invalid domain config: the body must hold only group {group}.")
        return config
    if set(config) != {option}:
        raise BadRequest(f"Invalid domain config: the body must hold only option {option}.")
    return {group: config}


async def update_config(req: ApiRequest) -> Response:
    req.enforce("identity:update_domain_config", {})
    update = _scoped_update(req, await _config(req))
    dc.check_config(update)
    domain_id = req.param("domain_id")
    async with writing(req, "domain config") as s:
        await get_or_404(s, Domain, domain_id, "domain", lock=True)
        await _stored(s, req)
        await dc.merge(s, domain_id, update)
        stored = await dc.load(s, domain_id)
    return json_response({"config": stored})


async def delete_config(req: ApiRequest) -> Response:
    req.enforce("identity:delete_domain_config", {})
    group, option = _path(req)
    async with writing(req, "domain config") as s:
        await _stored(s, req)
        await dc.remove(s, req.param("domain_id"), group, option)
    return empty(204)
