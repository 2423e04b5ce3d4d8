"""Which DHCP agents host which networks (the ``dhcp_agent_scheduler`` extension).

``GET /v2.0/networks/{id}/dhcp-agents`` and ``GET /v2.0/agents/{id}/dhcp-networks``:
admin-only views of ``networkdhcpagentbindings``. Networks are scheduled
automatically (``objects/dhcp_agents.py``); adding or removing a binding by hand is
not served.
"""

from __future__ import annotations

from starlette.responses import Response

from nimbostack.core.api.request import ApiRequest
from nimbostack.core.api.responses import json_response
from nimbostack.network.api import access, listing
from nimbostack.network.extensions import Extension
from nimbostack.network.objects import agents, dhcp_agents, networks
from nimbostack.network.objects.scope import Scope
from nimbostack.network.state import state_of

EXTENSIONS = (
    Extension(
        "dhcp_agent_scheduler",
        "DHCP Agent Scheduler",
        "Schedule networks among dhcp agents",
        "2013-02-07T10:00:00-00:00",
    ),
)


async def list_dhcp_agents_hosting_network(req: ApiRequest) -> Response:
    access.enforce(req, "get_dhcp-agents", {"project_id": req.context.project_id})
    state = state_of(req)
    network_id = req.param("network_id")
    async with state.db.reader() as s:
        await networks.find(s, Scope.admin(), network_id)
        ids = await dhcp_agents.agents_of_network(s, network_id)
        found = [await agents.shown(s, agent_id, state.agent_down_time) for agent_id in ids]
    fields = listing.fields_of(req)
    return json_response({"agents": [listing.select_fields(a, fields) for a in found]})


async def list_networks_on_dhcp_agent(req: ApiRequest) -> Response:
    access.enforce(req, "get_dhcp-networks", {"project_id": req.context.project_id})
    state = state_of(req)
    agent_id = req.param("agent_id")
    async with state.db.reader() as s:
        await agents.shown(s, agent_id, state.agent_down_time)
        ids = await dhcp_agents.networks_of_agent(s, agent_id)
        found = [await networks.find(s, Scope.admin(), network_id) for network_id in ids]
    fields = listing.fields_of(req)
    return json_response({"networks": [listing.select_fields(n, fields) for n in found]})
