"""Image-related volume actions: upload to an image, and a volume's image metadata."""

from __future__ import annotations

from typing import Any

import httpx
from starlette.responses import Response

from nimbostack.core.api.request import ApiRequest, validate
from nimbostack.core.api.responses import json_response
from nimbostack.core.errors import BadRequest, NotFound
from nimbostack.volume import states
from nimbostack.volume.api.schemas import BOOLEAN, IMAGE_KEY_VALUES, obj
from nimbostack.volume.api.scope import as_bool, at_least, timestamp
from nimbostack.volume.db.models import Volume
from nimbostack.volume.image_meta import NOT_KEPT
from nimbostack.volume.messages import UploadToImage
from nimbostack.volume.objects import keyvalues, types, volumes
from nimbostack.volume.state import VolumeState, state_of

DISK_FORMATS = ["raw", "vmdk", "vdi", "qcow2", "vhd", "vhdx"]
UPLOAD = obj(
    {
        "image_name": {"type": "string", "minLength": 1, "maxLength": 255},
        "disk_format": {"type": "string", "enum": DISK_FORMATS},
        "container_format": {"type": "string", "enum": ["bare"]},
        "force": BOOLEAN,
        "visibility": {"type": "string", "enum": ["community", "public", "private", "shared"]},
        "protected": BOOLEAN,
    },
    ["image_name"],
)
SET_IMAGE_METADATA = obj({"metadata": IMAGE_KEY_VALUES}, ["metadata"])
UNSET_IMAGE_METADATA = obj({"key": {"type": "string", "minLength": 1, "maxLength": 255}}, ["key"])
TABLE = keyvalues.IMAGE_METADATA


def _target(volume: Volume) -> dict[str, Any]:
    return {"project_id": volume.project_id}


async def upload_image(req: ApiRequest, volume_id: str, body: Any) -> Response:
    validate(body, UPLOAD)
    state = state_of(req)
    volume = await volumes.find(state.db, req.context, volume_id)
    req.enforce("volume_extension:volume_actions:upload_image", _target(volume))
    force = as_bool(body.get("force", False), "force") and state.options.enable_force_upload
    fields = _image_fields(req, body, volume)
    expected = [states.AVAILABLE] + ([states.IN_USE] if force else [])
    async with state.db.session() as s:
        values = {"status": states.UPLOADING, "previous_status": volume.status}
        if not await volumes.transition(s, volume.id, expected, values):
            raise BadRequest(
                f"Invalid volume: Volume {volume.id} status must be {' or '.join(expected)}."
            )
        fields.update(_inherited(await keyvalues.read(s, TABLE, volume.id)))
        vtype = await types.get_by_id(s, volume.volume_type_id)
        extra_specs = await keyvalues.read(s, keyvalues.EXTRA_SPECS, vtype.id)
    image = await _create_image(req, state, volume, fields)
    msg = UploadToImage(volume.id, image["id"], fields["disk_format"])
    await state.rpc.cast_manager(req.context, str(volume.host), msg)
    type_view = {
        "id": vtype.id,
        "name": vtype.name,
        "description": vtype.description,
        "is_public": vtype.is_public,
        "extra_specs": extra_specs,
        "qos_specs_id": vtype.qos_specs_id,
    }
    return json_response({"os-volume_upload_image": _answer(volume, image, type_view)}, 202)


def _image_fields(req: ApiRequest, body: dict[str, Any], volume: Volume) -> dict[str, Any]:
    """The new image's record, as asked (visibility and protection from 3.1 on)."""
    fields: dict[str, Any] = {
        "name": body["image_name"],
        "disk_format": body.get("disk_format", "raw"),
        "container_format": body.get("container_format", "bare"),
    }
    if at_least(req, "3.1"):
        fields["visibility"] = body.get("visibility", "private")
        fields["protected"] = as_bool(body.get("protected", False), "protected")
        if fields["visibility"] == "public":
            req.enforce("volume_extension:volume_actions:upload_public", _target(volume))
    return fields


def _answer(volume: Volume, image: dict[str, Any], type_view: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": volume.id,
        "updated_at": timestamp(volume.updated_at),
        "status": states.UPLOADING,
        "display_description": volume.description,
        "size": volume.size,
        "volume_type": type_view,
        "image_id": image["id"],
        "container_format": image.get("container_format"),
        "disk_format": image.get("disk_format"),
        "image_name": image.get("name"),
        "protected": image.get("protected", False),
        "visibility": image.get("visibility"),
    }


def _inherited(meta: dict[str, str]) -> dict[str, str]:
    """Properties a new image keeps from the image the volume was made from."""
    skip = NOT_KEPT | {
        "image_id",
        "image_name",
        "checksum",
        "container_format",
        "disk_format",
        "size",
        "min_disk",
        "min_ram",
    }
    return {k: v for k, v in meta.items() if k not in skip}


async def _create_image(
    req: ApiRequest, state: VolumeState, volume: Volume, fields: dict[str, Any]
) -> dict[str, Any]:
    client = await state.user_images(req.context)
    try:
        return await client.create(**fields)
    except (httpx.HTTPError, ValueError) as exc:
        async with state.db.session() as s:
            await volumes.transition(
                s,
                volume.id,
                [states.UPLOADING],
                {"status": volume.status, "previous_status": None},
            )
        raise BadRequest(f"The image service refused the new image: {exc}") from None


async def set_image_metadata(req: ApiRequest, volume_id: str, body: Any) -> Response:
    validate(body, SET_IMAGE_METADATA)
    state = state_of(req)
    async with state.db.session() as s:
        volume = await volumes.get(s, req.context, volume_id)
        req.enforce("volume_extension:volume_image_metadata:set", _target(volume))
        await keyvalues.merge(s, TABLE, volume.id, body["metadata"])
        found = await keyvalues.read(s, TABLE, volume.id)
    return json_response({"metadata": found})


async def unset_image_metadata(req: ApiRequest, volume_id: str, body: Any) -> Response:
    validate(body, UNSET_IMAGE_METADATA)
    state = state_of(req)
    async with state.db.session() as s:
        volume = await volumes.get(s, req.context, volume_id)
        req.enforce("volume_extension:volume_image_metadata:remove", _target(volume))
        if not await keyvalues.remove(s, TABLE, volume.id, body["key"]):
            raise NotFound(
                f"Glance metadata for volume/snapshot {volume.id} cannot be found with key "
                f"{body['key']}."
            )
    return json_response({}, 200)


async def show_image_metadata(req: ApiRequest, volume_id: str, body: Any) -> Response:
    state = state_of(req)
    async with state.db.reader() as s:
        volume = await volumes.get(s, req.context, volume_id)
        req.enforce("volume_extension:volume_image_metadata:show", _target(volume))
        found = await keyvalues.read(s, TABLE, volume.id)
    return json_response({"metadata": found})
