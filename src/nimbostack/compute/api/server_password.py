"""changePassword, and ``/servers/{id}/os-server-password``, as Nova answers on QEMU.

Nova's libvirt driver changes a running guest's password only through the QEMU guest
agent (images with ``hw_qemu_guest_agent``); our QEMU driver opens no guest-agent
channel, so changePassword gets Nova's 409 for a guest without that agent, once the
request is otherwise valid. A guest gets its password at build or rebuild time, in its
config drive (admin_pass.py). ``os-server-password`` holds what a guest posted to the
metadata service (cloudbase-init does, on Windows); ours takes no such post, so it is
empty, as Nova shows it for a guest that posted none.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from nimbostack.compute import states as st
from nimbostack.compute.api import action_guard
from nimbostack.compute.api.action_guard import Transition
from nimbostack.compute.api.deps import state_of
from nimbostack.compute.api.server_lookup import load_server, target
from nimbostack.compute.db.models import Instance
from nimbostack.core.api.request import ApiRequest
from nimbostack.core.api.responses import empty, json_response
from nimbostack.core.errors import Conflict

CHANGE_PASSWORD = Transition("changePassword", (st.ACTIVE,))


async def change_password(req: ApiRequest, instance: Instance, body: Any) -> Response:
    action_guard.check(req, instance, CHANGE_PASSWORD)
    raise Conflict("QEMU guest agent is not enabled")


async def show_server_password(req: ApiRequest) -> Response:
    instance = await load_server(req, state_of(req))
    req.enforce("os_compute_api:os-server-password:show", target(instance))
    return json_response({"password": ""})


async def clear_server_password(req: ApiRequest) -> Response:
    instance = await load_server(req, state_of(req))
    req.enforce("os_compute_api:os-server-password:clear", target(instance))
    return empty(204)


ACTIONS: dict[str, Any] = {"changePassword": change_password}
