"""``/os-volume-transfer`` and (3.55) ``/volume-transfers``: offer a volume to another
project, list and withdraw offers, and accept one with its auth key."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from nimbostack.core.api.request import ApiRequest
from nimbostack.core.api.responses import empty, json_response
from nimbostack.core.db.locks import get_for_update
from nimbostack.core.errors import BadRequest
from nimbostack.volume.api import microversions as mv
from nimbostack.volume.api.schemas import BOOLEAN, NAME, obj, wrapped
from nimbostack.volume.api.scope import all_projects, as_bool, at_least, links, timestamp
from nimbostack.volume.db.models import Transfer
from nimbostack.volume.objects import paging, quotas, snapshots, transfers, types, volumes
from nimbostack.volume.state import state_of

CREATE = wrapped(
    "transfer",
    obj(
        {"volume_id": {"type": "string", "format": "uuid"}, "name": NAME, "no_snapshots": BOOLEAN},
        ["volume_id"],
    ),
)
ACCEPT = wrapped(
    "accept",
    obj({"auth_key": {"type": "string", "minLength": 1, "maxLength": 255}}, ["auth_key"]),
)


def _view(
    req: ApiRequest, t: Transfer, *, detailed: bool, key: str | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": t.id,
        "name": t.name,
        "volume_id": t.volume_id,
        "links": links(req, "os-volume-transfer", t.id),
    }
    if not detailed:
        return body
    body["created_at"] = timestamp(t.created_at)
    if key is not None:
        body["auth_key"] = key
    if at_least(req, mv.TRANSFER_WITH_SNAPSHOTS):
        body["no_snapshots"] = t.no_snapshots
    if at_least(req, mv.TRANSFER_WITH_HISTORY):
        body["destination_project_id"] = t.destination_project_id
        body["source_project_id"] = t.source_project_id
        body["accepted"] = t.accepted
    return body


async def create_transfer(req: ApiRequest) -> Response:
    state = state_of(req)
    wanted = (await req.json(CREATE))["transfer"]
    no_snapshots = at_least(req, mv.TRANSFER_WITH_SNAPSHOTS) and as_bool(
        wanted.get("no_snapshots", False), "no_snapshots"
    )
    async with state.db.session() as s:
        volume = await volumes.get(s, req.context, wanted["volume_id"])
        req.enforce("volume:create_transfer", {"project_id": volume.project_id})
        transfer, key = await transfers.create(s, volume, wanted.get("name"), no_snapshots)
    return json_response({"transfer": _view(req, transfer, detailed=True, key=key)}, 202)


async def show_transfer(req: ApiRequest) -> Response:
    state = state_of(req)
    async with state.db.reader() as s:
        transfer = await transfers.get(s, req.context, req.param("transfer_id"))
    req.enforce("volume:get_transfer", {"project_id": transfer.source_project_id})
    return json_response({"transfer": _view(req, transfer, detailed=True)})


async def _list(req: ApiRequest, detailed: bool) -> Response:
    state = state_of(req)
    req.enforce("volume:get_all_transfers", {"project_id": req.context.project_id or ""})
    limit = paging.parse_limit(req.query.get("limit"))
    async with state.db.reader() as s:
        rows = await transfers.listing(
            s, req.context, all_projects(req), limit, req.query.get("marker")
        )
    return json_response({"transfers": [_view(req, t, detailed=detailed) for t in rows]})


async def list_transfers(req: ApiRequest) -> Response:
    return await _list(req, detailed=False)


async def list_transfers_detail(req: ApiRequest) -> Response:
    return await _list(req, detailed=True)


async def delete_transfer(req: ApiRequest) -> Response:
    state = state_of(req)
    async with state.db.session() as s:
        transfer = await transfers.get(s, req.context, req.param("transfer_id"))
        req.enforce("volume:delete_transfer", {"project_id": transfer.source_project_id})
        await transfers.release(s, transfer)
    return empty(202)


async def accept_transfer(req: ApiRequest) -> Response:
    state = state_of(req)
    key = (await req.json(ACCEPT))["accept"]["auth_key"]
    project = req.context.project_id or ""
    req.enforce("volume:accept_transfer", {"project_id": project})
    async with state.db.session() as s:
        # Locked: of two projects accepting one offer, the second finds it gone.
        transfer = await get_for_update(s, Transfer, req.param("transfer_id"))
        if transfer is None:
            raise transfers.not_found(req.param("transfer_id"))
        if not transfers.key_matches(transfer, key):
            raise BadRequest(
                f"Invalid auth key: Attempt to transfer {transfer.id} with invalid auth key."
            )
        volume = await volumes.get_any(s, transfer.volume_id)
        assert volume is not None
        vtype = await types.get_by_id(s, volume.volume_type_id)
        moving = [] if transfer.no_snapshots else await snapshots.of_volume(s, volume.id)
        wanted = {"volumes": 1, "gigabytes": volume.size + sum(x.volume_size for x in moving)}
        if moving:
            wanted["snapshots"] = len(moving)
        await quotas.check(s, state.options, project, wanted, vtype.name)
        await transfers.hand_over(s, transfer, req.context)
        answer = {
            "id": transfer.id,
            "name": transfer.name,
            "volume_id": volume.id,
            "links": links(req, "os-volume-transfer", transfer.id),
        }
    return json_response({"transfer": answer}, 202)
