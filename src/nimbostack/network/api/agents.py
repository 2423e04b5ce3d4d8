"""``/v2.0/agents``: the agents as they last reported themselves (the ``agent`` extension)."""

from __future__ import annotations

from starlette.responses import Response

from nimbostack.core.api.request import ApiRequest
from nimbostack.core.api.responses import json_response
from nimbostack.network.api import access, listing
from nimbostack.network.extensions import Extension
from nimbostack.network.objects import agents
from nimbostack.network.state import state_of

EXTENSIONS = (
    Extension("agent", "agent", "The agent management extension.", "2013-02-03T10:00:00-00:00"),
)
_FILTERS = frozenset({"agent_type", "host", "binary", "topic", "availability_zone"})


async def list_agents(req: ApiRequest) -> Response:
    # Those who may not see agents see an empty list, as Neutron answers them.
    if not access.allowed(req, "get_agent", {"project_id": req.context.project_id}):
        return json_response({"agents": []})
    state = state_of(req)
    async with state.db.reader() as s:
        found = await agents.listed(s, state.agent_down_time)
    wanted: dict[str, set[str]] = {}
    for key, value in req.query.multi_items():
        if key in _FILTERS:
            wanted.setdefault(key, set()).add(value)
    found = [a for a in found if all(str(a[k]) in v for k, v in wanted.items())]
    fields = listing.fields_of(req)
    return json_response({"agents": [listing.select_fields(a, fields) for a in found]})


async def show_agent(req: ApiRequest) -> Response:
    access.enforce(req, "get_agent", {"project_id": req.context.project_id})
    state = state_of(req)
    async with state.db.reader() as s:
        found = await agents.shown(s, req.param("agent_id"), state.agent_down_time)
    return json_response({"agent": listing.select_fields(found, listing.fields_of(req))})
