"""Image tags over HTTP: PUT and DELETE /v2/images/{id}/tags/{tag}.

Each runs in one transaction with the image locked (images.lock), so concurrent
additions all land and the tag quota holds.
"""

from __future__ import annotations

from starlette.responses import Response

from nimbostack.core.api.request import ApiRequest
from nimbostack.core.api.responses import empty
from nimbostack.core.errors import NotFound
from nimbostack.image.api import attributes
from nimbostack.image.api.images import target
from nimbostack.image.objects import images
from nimbostack.image.state import state_of


async def add_tag(req: ApiRequest) -> Response:
    state = state_of(req)
    image_id = req.param("image_id")
    async with state.db.session():
        await images.lock(state.db, image_id)
        image = await images.load(state.db, req.context, image_id)
        req.enforce("modify_image", target(image))
        current = (await images.tags_of(state.db, [image.id]))[image.id]
        tags = attributes.tag_list([*current, req.param("tag")], state.conf)
        if tags != current:
            await images.save(state.db, image.id, {}, tags)
    return empty(204)


async def delete_tag(req: ApiRequest) -> Response:
    state = state_of(req)
    image_id = req.param("image_id")
    tag = req.param("tag")
    async with state.db.session():
        await images.lock(state.db, image_id)
        image = await images.load(state.db, req.context, image_id)
        req.enforce("modify_image", target(image))
        current = (await images.tags_of(state.db, [image.id]))[image.id]
        if tag not in current:
            raise NotFound(f"Tag {tag} not found on image {image.id}.")
        await images.save(state.db, image.id, {}, [t for t in current if t != tag])
    return empty(204)
