"""Finding the server a request names, hidden (404) when it belongs to another project."""

from __future__ import annotations

from typing import Any

from nimbostack.compute.api.deps import ApiState, public_url
from nimbostack.compute.api.views.servers import ServerViewer
from nimbostack.compute.db.models import Instance
from nimbostack.compute.objects import instance_queries
from nimbostack.core.api.microversion import Version
from nimbostack.core.api.request import ApiRequest
from nimbostack.core.errors import NotFound


def scope_project(req: ApiRequest) -> str | None:
    """The project whose servers the caller may reach by id (None: any, for admins)."""
    return None if req.context.is_admin else req.context.project_id


async def load_server(req: ApiRequest, state: ApiState, uuid: str | None = None) -> Instance:
    ident = uuid or req.param("server_id")
    instance = await instance_queries.find(state.db, ident, scope_project(req))
    if instance is None:
        raise NotFound(f"Instance {ident} could not be found.")
    return instance


def target(instance: Instance) -> dict[str, Any]:
    return {"project_id": instance.project_id, "user_id": instance.user_id}


def viewer(req: ApiRequest) -> ServerViewer:
    return ServerViewer(
        version=req.version or Version(2, 1),
        base=public_url(req),
        admin_attrs=req.allowed("os_compute_api:os-extended-server-attributes", _own(req)),
        host_status=req.allowed("os_compute_api:servers:show:host_status", _own(req)),
        extra_specs=req.allowed("os_compute_api:os-flavor-extra-specs:index", _own(req)),
    )


def _own(req: ApiRequest) -> dict[str, Any]:
    return {"project_id": req.context.project_id, "user_id": req.context.user_id}
