"""GET /v2/images/{id}/tasks: the import tasks of one image (Image API v2.12)."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from nimbostack.core.api.request import ApiRequest
from nimbostack.core.api.responses import json_response
from nimbostack.core.timeutil import iso
from nimbostack.image.db.models import ImageTask
from nimbostack.image.objects import images, tasks
from nimbostack.image.state import state_of


def task_view(task: ImageTask) -> dict[str, Any]:
    return {
        "id": task.id,
        "type": task.type,
        "status": task.status,
        "owner": task.owner,
        "image_id": task.image_id,
        "request_id": task.request_id,
        "user_id": task.user_id,
        "input": task.input,
        "result": task.result,
        "message": task.message,
        "created_at": iso(task.created_at),
        "updated_at": iso(task.updated_at),
        "expires_at": None,
    }


async def list_image_tasks(req: ApiRequest) -> Response:
    state = state_of(req)
    req.enforce("get_image")
    image = await images.load(state.db, req.context, req.param("image_id"))
    rows = await tasks.of_image(state.db, image.id)
    return json_response({"tasks": [task_view(t) for t in rows]})
