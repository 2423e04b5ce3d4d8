"""``/volumes/{id}/metadata``: a volume's user metadata, whole or one key at a time."""

from __future__ import annotations

from starlette.responses import Response

from nimbostack.core.api.request import ApiRequest
from nimbostack.core.api.responses import empty, json_response
from nimbostack.core.errors import BadRequest, NotFound
from nimbostack.volume.api.schemas import META_BODY, METADATA_BODY
from nimbostack.volume.db.models import Volume
from nimbostack.volume.objects import keyvalues, volumes
from nimbostack.volume.state import state_of

TABLE = keyvalues.VOLUME_METADATA


def _target(volume: Volume) -> dict[str, str]:
    return {"project_id": volume.project_id}


async def show_metadata(req: ApiRequest) -> Response:
    state = state_of(req)
    async with state.db.reader() as s:
        volume = await volumes.get(s, req.context, req.param("volume_id"))
        req.enforce("volume:get_volume_metadata", _target(volume))
        found = await keyvalues.read(s, TABLE, volume.id)
    return json_response({"metadata": found})


async def _write(req: ApiRequest, replace: bool) -> Response:
    state = state_of(req)
    body = await req.json(METADATA_BODY)
    async with state.db.session() as s:
        volume = await volumes.get(s, req.context, req.param("volume_id"))
        req.enforce(
            "volume:update_volume_metadata" if replace else "volume:create_volume_metadata",
            _target(volume),
        )
        if replace:
            await keyvalues.replace(s, TABLE, volume.id, body["metadata"])
        else:
            await keyvalues.merge(s, TABLE, volume.id, body["metadata"])
        found = await keyvalues.read(s, TABLE, volume.id)
    return json_response({"metadata": found})


async def create_metadata(req: ApiRequest) -> Response:
    """POST: add or change the keys given, keep the others."""
    return await _write(req, replace=False)


async def update_all_metadata(req: ApiRequest) -> Response:
    """PUT: the keys given become the only ones."""
    return await _write(req, replace=True)


async def show_metadata_item(req: ApiRequest) -> Response:
    state = state_of(req)
    key = req.param("key")
    async with state.db.reader() as s:
        volume = await volumes.get(s, req.context, req.param("volume_id"))
        req.enforce("volume:get_volume_metadata", _target(volume))
        found = await keyvalues.read(s, TABLE, volume.id)
    if key not in found:
        raise NotFound(f"Volume {volume.id} has no metadata with key {key}.")
    return json_response({"meta": {key: found[key]}})


async def update_metadata_item(req: ApiRequest) -> Response:
    state = state_of(req)
    key = req.param("key")
    body = await req.json(META_BODY)
    if key not in body["meta"]:
        raise BadRequest("Request body and URI mismatch")
    async with state.db.session() as s:
        volume = await volumes.get(s, req.context, req.param("volume_id"))
        req.enforce("volume:update_volume_metadata", _target(volume))
        await keyvalues.merge(s, TABLE, volume.id, body["meta"])
    return json_response({"meta": body["meta"]})


async def delete_metadata_item(req: ApiRequest) -> Response:
    state = state_of(req)
    key = req.param("key")
    async with state.db.session() as s:
        volume = await volumes.get(s, req.context, req.param("volume_id"))
        req.enforce("volume:delete_volume_metadata", _target(volume))
        if not await keyvalues.remove(s, TABLE, volume.id, key):
            raise NotFound(f"Volume {volume.id} has no metadata with key {key}.")
    return empty(200)
