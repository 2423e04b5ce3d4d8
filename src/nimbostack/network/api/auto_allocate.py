"""``/v2.0/auto-allocated-topology/{project_id}``: a project's ready-made network.

``GET`` answers the project's auto-allocated network, making it (with its subnets and
its router to the default external network) on the first request; ``?fields=dry-run``
only checks that it could be made. ``DELETE`` takes it apart. ``None`` as the project
means the caller's own, as clients send it when no project is named.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from nimbostack.core.api.request import ApiRequest
from nimbostack.core.api.responses import empty, json_response
from nimbostack.network.api import access, dhcp_hooks, listing
from nimbostack.network.errors import HTTPBadRequest
from nimbostack.network.extensions import Extension
from nimbostack.network.objects import auto_topology, dhcp_agents
from nimbostack.network.state import state_of

EXTENSIONS = (
    Extension(
        "auto-allocated-topology",
        "Auto Allocated Topology Services",
        "Auto Allocated Topology Services.",
        "2016-01-01T00:00:00-00:00",
    ),
)
DRY_RUN = "dry-run"


def _project(req: ApiRequest, rule: str) -> str:
    """The project of the path, if ``rule`` lets the caller act for it (else 403)."""
    project = req.param("project_id")
    if project == "None":
        project = req.context.project_id or ""
    access.enforce(req, rule, {"project_id": project, "tenant_id": project})
    return project


def _answer(network_id: str, project: str) -> Response:
    body: dict[str, Any] = {"id": network_id, "tenant_id": project, "project_id": project}
    return json_response({"auto_allocated_topology": body})


async def show_auto_allocated_topology(req: ApiRequest) -> Response:
    state = state_of(req)
    project = _project(req, "get_auto_allocated_topology")
    fields = listing.fields_of(req)
    if DRY_RUN in fields:
        async with state.db.reader() as s:
            await auto_topology.check_requirements(s, project)
        return _answer("dry-run=pass", project)
    if fields:
        raise HTTPBadRequest("Unrecognized field")
    async with state.db.session() as s:
        topology = await auto_topology.ensure(s, state.conf, state.types, project)
        if topology.made_now:
            await dhcp_agents.schedule(s, topology.network_id, state.agent_down_time)
    if topology.made_now:
        await dhcp_hooks.network_changed(req, state, topology.network_id)
        if state.l3 is not None and topology.router_id is not None:
            await state.l3.router_updated(req.context, [topology.router_id])
    return _answer(topology.network_id, project)


async def delete_auto_allocated_topology(req: ApiRequest) -> Response:
    state = state_of(req)
    project = _project(req, "delete_auto_allocated_topology")
    async with state.db.reader() as s:
        found = await auto_topology.find(s, project)
    hosts = []
    if found is not None and found.router_id is not None and state.l3 is not None:
        hosts = await state.l3.hosts(found.router_id)
    async with state.db.session() as s:
        removed = await auto_topology.remove(s, state.types, project)
    if removed is not None:
        if state.l3 is not None and removed.router_id is not None:
            await state.l3.router_deleted(req.context, removed.router_id, hosts)
        if state.agents is not None:
            await state.agents.network_delete(req.context, removed.network_id)
        await dhcp_hooks.network_removed(req, state, removed.network_id)
    return empty(204)
