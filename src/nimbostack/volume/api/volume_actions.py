"""``POST /volumes/{id}/action``: every volume action, by the name its body carries.

This table is the one place an action name is written: a request body is
``{"<action>": {...}}`` and goes to the handler listed here, from the microversion
listed here on.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.responses import Response

from nimbostack.core.api.request import ApiRequest
from nimbostack.core.errors import BadRequest
from nimbostack.volume.api import actions_admin, actions_attach, actions_image, actions_volume
from nimbostack.volume.api.scope import at_least

Action = Callable[[ApiRequest, str, Any], Awaitable[Response]]

ACTIONS: dict[str, tuple[Action, str]] = {
    "os-extend": (actions_volume.extend, "3.0"),
    "os-retype": (actions_volume.retype, "3.0"),
    "os-set_bootable": (actions_volume.set_bootable, "3.0"),
    "os-update_readonly_flag": (actions_volume.update_readonly_flag, "3.0"),
    "os-volume_upload_image": (actions_image.upload_image, "3.0"),
    "os-set_image_metadata": (actions_image.set_image_metadata, "3.0"),
    "os-unset_image_metadata": (actions_image.unset_image_metadata, "3.0"),
    "os-show_image_metadata": (actions_image.show_image_metadata, "3.0"),
    "os-reserve": (actions_attach.reserve, "3.0"),
    "os-unreserve": (actions_attach.unreserve, "3.0"),
    "os-begin_detaching": (actions_attach.begin_detaching, "3.0"),
    "os-roll_detaching": (actions_attach.roll_detaching, "3.0"),
    "os-initialize_connection": (actions_attach.initialize_connection, "3.0"),
    "os-terminate_connection": (actions_attach.terminate_connection, "3.0"),
    "os-attach": (actions_attach.attach, "3.0"),
    "os-detach": (actions_attach.detach, "3.0"),
    "os-reset_status": (actions_admin.reset_status, "3.0"),
    "os-force_delete": (actions_admin.force_delete, "3.0"),
    "os-force_detach": (actions_admin.force_detach, "3.0"),
    "os-migrate_volume": (actions_admin.migrate_volume, "3.0"),
    "os-extend_volume_completion": (actions_admin.extend_volume_completion, "3.71"),
}


async def volume_action(req: ApiRequest) -> Response:
    body = await req.json({"type": "object", "minProperties": 1, "maxProperties": 1})
    name, args = next(iter(body.items()))
    entry = ACTIONS.get(name)
    if entry is None or not at_least(req, entry[1]):
        raise BadRequest(f"There is no such action: {name}")
    handler, _since = entry
    return await handler(req, req.param("volume_id"), args if args is not None else {})
