"""``os-networks`` (deprecated at 2.36): the compute view of networks.

Nova proxies this to the networking service. There is no networking service yet, so
there are no networks to show: the list is empty and any id is unknown.
"""

from __future__ import annotations

from starlette.responses import Response

from nimbostack.core.api.microversion import Version
from nimbostack.core.api.request import ApiRequest
from nimbostack.core.api.responses import json_response
from nimbostack.core.errors import NotFound


def _deprecated(req: ApiRequest) -> None:
    if (req.version or Version(2, 1)).matches("2.36"):
        raise NotFound("The resource could not be found.")


async def list_networks(req: ApiRequest) -> Response:
    _deprecated(req)
    req.enforce("os_compute_api:os-networks:list", {"project_id": req.context.project_id})
    return json_response({"networks": []})


async def show_network(req: ApiRequest) -> Response:
    _deprecated(req)
    req.enforce("os_compute_api:os-networks:show", {"project_id": req.context.project_id})
    raise NotFound(f"Network {req.param('network_id')} could not be found.")
