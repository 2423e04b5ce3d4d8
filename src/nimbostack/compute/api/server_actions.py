"""``POST /servers/{id}/action``: one key names the action; each family has its module.

The action's entry in `action_registry.ACTIONS` is checked first: its value must match
the schema and the caller must pass the rule. Then the family's handler runs.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.responses import Response

from nimbostack.compute.api import (
    server_actions_backup,
    server_actions_console,
    server_actions_image,
    server_actions_move,
    server_actions_power,
    server_actions_shelve,
    server_password,
    server_security_groups,
    servers,
)
from nimbostack.compute.api.action_registry import ACTIONS
from nimbostack.compute.api.deps import state_of
from nimbostack.compute.api.server_lookup import load_server, target
from nimbostack.compute.db.models import Instance
from nimbostack.core.api.microversion import Version
from nimbostack.core.api.request import ApiRequest, validate
from nimbostack.core.errors import BadRequest

ActionHandler = Callable[[ApiRequest, Instance, Any], Awaitable[Response]]

HANDLERS: dict[str, ActionHandler] = {
    **server_actions_power.ACTIONS,
    **server_actions_shelve.ACTIONS,
    **server_actions_move.ACTIONS,
    **server_actions_image.ACTIONS,
    **server_actions_console.ACTIONS,
    **server_actions_backup.ACTIONS,
    **server_password.ACTIONS,
    **server_security_groups.ACTIONS,
    "forceDelete": servers.force_delete,
}


async def server_action(req: ApiRequest) -> Response:
    state = state_of(req)
    instance = await load_server(req, state)
    body = await req.json({"type": "object", "minProperties": 1})
    known = [key for key in body if key in ACTIONS]
    if len(known) != 1:
        names = ", ".join(sorted(body)) or "none"
        raise BadRequest(f"There is no such action: {names}")
    name = known[0]
    action = ACTIONS[name]
    validate(body[name], action.schema_for(req.version or Version(2, 1)))
    req.enforce(action.rule, target(instance))
    return await HANDLERS[name](req, instance, body[name])
