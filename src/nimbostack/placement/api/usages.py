"""Handlers for /resource_providers/{uuid}/usages and /usages?project_id=."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from nimbostack.core.api.request import ApiRequest
from nimbostack.core.api.responses import json_response
from nimbostack.placement.api.params import at_least, bad
from nimbostack.placement.objects import inventories, providers, usages
from nimbostack.placement.state import state_of


async def provider_usages(req: ApiRequest) -> Response:
    req.enforce("placement:resource_providers:usages")
    async with state_of(req).db.reader() as s:
        rp = await providers.get(s, req.param("uuid"))
        used = await inventories.used_by_class(s, rp.id)
        inv = await inventories.load(s, rp.id)
    result = {rc: used.get(rc, 0) for rc in inv} | used
    return json_response({"usages": result, "resource_provider_generation": rp.generation})


async def project_usages(req: ApiRequest) -> Response:
    req.enforce("placement:usages")
    allowed = {"project_id", "user_id"} | ({"consumer_type"} if at_least(req, "1.38") else set())
    unknown = sorted(set(req.query.keys()) - allowed)
    if unknown:
        raise bad(f"Invalid query string parameters: {', '.join(unknown)} not allowed.")
    project = req.query.get("project_id")
    if not project:
        raise bad("Invalid query string parameters: 'project_id' is a required property")
    ctype = req.query.get("consumer_type")
    async with state_of(req).db.reader() as s:
        by_type = await usages.for_project(s, project, req.query.get("user_id"), ctype)
    if at_least(req, "1.38"):
        return json_response({"usages": by_type})
    total: dict[str, Any] = {}
    for resources in by_type.values():
        for rc, n in resources.items():
            if rc != "consumer_count":
                total[rc] = total.get(rc, 0) + n
    return json_response({"usages": total})
