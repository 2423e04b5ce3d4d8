"""Which L3 agent hosts which router: ``/v2.0/routers/{id}/l3-agents`` and
``/v2.0/agents/{id}/l3-routers`` (read-only: routers are scheduled, never moved by hand,
so ``l3_agent_scheduler`` is not listed as an extension)."""

from __future__ import annotations

from starlette.responses import Response

from nimbostack.core.api.request import ApiRequest
from nimbostack.core.api.responses import json_response
from nimbostack.network.api import access
from nimbostack.network.objects import agents, l3_agents, routers
from nimbostack.network.objects.scope import Scope
from nimbostack.network.state import state_of


async def list_l3_agents_hosting_router(req: ApiRequest) -> Response:
    access.enforce(req, "get_l3-agents", {"project_id": req.context.project_id})
    state = state_of(req)
    async with state.db.reader() as s:
        await routers.find(s, Scope.admin(), req.param("router_id"))
        ids = await l3_agents.agents_of(s, req.param("router_id"))
        found = [await agents.shown(s, agent_id, state.agent_down_time) for agent_id in ids]
    return json_response({"agents": [{**a, "ha_state": None} for a in found]})


async def list_routers_on_l3_agent(req: ApiRequest) -> Response:
    access.enforce(req, "get_l3-routers", {"project_id": req.context.project_id})
    state = state_of(req)
    async with state.db.reader() as s:
        await agents.shown(s, req.param("agent_id"), state.agent_down_time)
        ids = await l3_agents.routers_of(s, req.param("agent_id"))
        found = [await routers.find(s, Scope.admin(), router_id) for router_id in ids]
    return json_response({"routers": found})
