"""Image members over HTTP: the owner offers a shared image, the member accepts or rejects."""

from __future__ import annotations

from starlette.responses import Response

from nimbostack.core.api.request import ApiRequest
from nimbostack.core.api.responses import empty, json_response
from nimbostack.core.errors import Forbidden
from nimbostack.image.api.images import target
from nimbostack.image.api.views import member_view
from nimbostack.image.db.models import Image
from nimbostack.image.objects import images, members
from nimbostack.image.state import state_of

_ADD = {
    "type": "object",
    "required": ["member"],
    "properties": {"member": {"type": "string", "minLength": 1, "maxLength": 255}},
    "additionalProperties": False,
}
_UPDATE = {
    "type": "object",
    "required": ["status"],
    # openstacksdk also sends the member's id in the body; it is not an error.
    "properties": {"status": {"enum": ["pending", "accepted", "rejected"]}},
}


def _is_owner(req: ApiRequest, image: Image) -> bool:
    return req.context.is_admin or image.owner == req.context.project_id


async def create_member(req: ApiRequest) -> Response:
    state = state_of(req)
    body = await req.json(_ADD)
    image = await images.load(state.db, req.context, req.param("image_id"))
    req.enforce("add_member", target(image))
    if image.visibility != "shared":
        raise Forbidden(f"Only shared images have members; image {image.id} is {image.visibility}.")
    member = await members.add(state.db, image.id, body["member"])
    return json_response(member_view(member))


async def list_members(req: ApiRequest) -> Response:
    state = state_of(req)
    req.enforce("get_members")
    image = await images.load(state.db, req.context, req.param("image_id"))
    # A member sees its own membership only; the owner sees them all.
    only = None if _is_owner(req, image) else req.context.project_id
    rows = await members.list_for(state.db, image.id, only)
    return json_response(
        {"members": [member_view(m) for m in rows], "schema": "/v2/schemas/members"}
    )


async def show_member(req: ApiRequest) -> Response:
    state = state_of(req)
    req.enforce("get_member")
    image = await images.load(state.db, req.context, req.param("image_id"))
    member_id = req.param("member_id")
    if not _is_owner(req, image) and member_id != req.context.project_id:
        raise members.not_found(image.id, member_id)
    return json_response(member_view(await members.get(state.db, image.id, member_id)))


async def update_member(req: ApiRequest) -> Response:
    state = state_of(req)
    body = await req.json(_UPDATE)
    image = await images.load(state.db, req.context, req.param("image_id"))
    member_id = req.param("member_id")
    await members.get(state.db, image.id, member_id)
    req.enforce("modify_member", {"member_id": member_id, "owner": image.owner})
    member = await members.set_status(state.db, image.id, member_id, body["status"])
    return json_response(member_view(member))


async def delete_member(req: ApiRequest) -> Response:
    state = state_of(req)
    image = await images.load(state.db, req.context, req.param("image_id"))
    req.enforce("delete_member", target(image))
    await members.remove(state.db, image.id, req.param("member_id"))
    return empty(204)
