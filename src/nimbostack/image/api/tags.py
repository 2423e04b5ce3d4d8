"""Image tags over HTTP: PUT and DELETE /v2/images/{id}/tags/{tag}.

Each change is computed from the tags as they are inside the write transaction
(``images.modify``), so concurrent tag changes of one image never undo each other.
"""

from __future__ import annotations

from starlette.responses import Response

from nimbostack.core.api.request import ApiRequest
from nimbostack.core.api.responses import empty
from nimbostack.core.errors import NotFound
from nimbostack.image.api import attributes
from nimbostack.image.api.images import target
from nimbostack.image.db.models import Image
from nimbostack.image.objects import images
from nimbostack.image.state import state_of


async def add_tag(req: ApiRequest) -> Response:
    state = state_of(req)
    image = await images.load(state.db, req.context, req.param("image_id"))
    req.enforce("modify_image", target(image))
    tag = req.param("tag")

    def change(_row: Image, current: list[str]) -> tuple[dict[str, object], list[str] | None]:
        if tag in current:
            return {}, None
        return {}, attributes.tag_list([*current, tag], state.conf)

    await images.modify(state.db, image.id, change)
    return empty(204)


async def delete_tag(req: ApiRequest) -> Response:
    state = state_of(req)
    image = await images.load(state.db, req.context, req.param("image_id"))
    req.enforce("modify_image", target(image))
    tag = req.param("tag")

    def change(_row: Image, current: list[str]) -> tuple[dict[str, object], list[str] | None]:
        if tag not in current:
            raise NotFound(f"Tag {tag} not found on image {image.id}.")
        return {}, [t for t in current if t != tag]

    await images.modify(state.db, image.id, change)
    return empty(204)
