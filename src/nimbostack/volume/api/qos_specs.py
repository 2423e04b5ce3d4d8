"""``/qos-specs``: QoS key sets and their association with volume types (admin only).

Front-end keys (``total_iops_sec``, ``total_bytes_sec``...) reach the host in the
attachment's ``connection_info`` as ``qos_specs``, where QEMU throttles the disk.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from starlette.responses import Response

from nimbostack.core.api.request import ApiRequest
from nimbostack.core.api.responses import empty, json_response
from nimbostack.core.errors import BadRequest, Conflict
from nimbostack.volume.api.schemas import obj, wrapped
from nimbostack.volume.api.scope import links
from nimbostack.volume.db.models import QosSpecs
from nimbostack.volume.objects import keyvalues, qos, types
from nimbostack.volume.state import state_of

VALUE = {"type": "string", "maxLength": 255}
CREATE = wrapped(
    "qos_specs",
    {
        "type": "object",
        "properties": {
            "name": {"type": "string", "minLength": 1, "maxLength": 255},
            "consumer": {"type": "string", "enum": list(qos.CONSUMERS)},
        },
        "patternProperties": {"^[a-zA-Z0-9-_:. /]{1,255}$": VALUE},
        "additionalProperties": False,
        "required": ["name"],
    },
)
SET_KEYS = wrapped(
    "qos_specs",
    {
        "type": "object",
        "patternProperties": {"^[a-zA-Z0-9-_:. /]{1,255}$": VALUE},
        "additionalProperties": False,
        "minProperties": 1,
    },
)
DELETE_KEYS = obj({"keys": {"type": "array", "items": {"type": "string"}, "minItems": 1}}, ["keys"])
TABLE = keyvalues.QOS_VALUES


def _view(q: QosSpecs, specs: dict[str, str]) -> dict[str, Any]:
    return {"id": q.id, "name": q.name, "consumer": q.consumer, "specs": specs}


async def list_qos_specs(req: ApiRequest) -> Response:
    state = state_of(req)
    req.enforce("volume_extension:qos_specs_manage:get_all")
    async with state.db.reader() as s:
        rows = list((await s.scalars(select(QosSpecs).order_by(QosSpecs.name))).all())
        found = [_view(q, await keyvalues.read(s, TABLE, q.id)) for q in rows]
    return json_response({"qos_specs": found})


async def create_qos_specs(req: ApiRequest) -> Response:
    state = state_of(req)
    req.enforce("volume_extension:qos_specs_manage:create")
    wanted = dict((await req.json(CREATE))["qos_specs"])
    name = str(wanted.pop("name")).strip()
    consumer = str(wanted.pop("consumer", "back-end"))
    try:
        async with state.db.session() as s:
            created = await qos.create(s, name, consumer, {k: str(v) for k, v in wanted.items()})
    except IntegrityError:  # a twin request took the name between check and insert
        raise Conflict(f"QoS Specs {name} already exists.") from None
    body = {"qos_specs": _view(created, wanted), "links": links(req, "qos-specs", created.id)}
    return json_response(body)


async def show_qos_specs(req: ApiRequest) -> Response:
    state = state_of(req)
    req.enforce("volume_extension:qos_specs_manage:get")
    async with state.db.reader() as s:
        found = await qos.get(s, req.param("qos_id"))
        specs = await keyvalues.read(s, TABLE, found.id)
    body = {"qos_specs": _view(found, specs), "links": links(req, "qos-specs", found.id)}
    return json_response(body)


async def update_qos_specs(req: ApiRequest) -> Response:
    state = state_of(req)
    req.enforce("volume_extension:qos_specs_manage:update")
    wanted = dict((await req.json(SET_KEYS))["qos_specs"])
    async with state.db.session() as s:
        found = await qos.get(s, req.param("qos_id"))
        if "consumer" in wanted:
            consumer = wanted.pop("consumer")
            if consumer not in qos.CONSUMERS:
                raise BadRequest(f"Invalid consumer {consumer!r}.")
            found.consumer = consumer
        await keyvalues.merge(s, TABLE, found.id, wanted)
    return json_response({"qos_specs": wanted})


async def delete_qos_specs(req: ApiRequest) -> Response:
    state = state_of(req)
    req.enforce("volume_extension:qos_specs_manage:delete")
    force = req.query_bool("force")
    async with state.db.session() as s:
        await qos.delete(s, await qos.get(s, req.param("qos_id")), force)
    return empty(202)


async def delete_qos_keys(req: ApiRequest) -> Response:
    state = state_of(req)
    req.enforce("volume_extension:qos_specs_manage:update")
    keys = (await req.json(DELETE_KEYS))["keys"]
    async with state.db.session() as s:
        found = await qos.get(s, req.param("qos_id"))
        for key in keys:
            if not await keyvalues.remove(s, TABLE, found.id, key):
                raise BadRequest(f"Invalid input received: QoS spec {found.id} has no key {key}.")
    return empty(202)


async def list_associations(req: ApiRequest) -> Response:
    state = state_of(req)
    req.enforce("volume_extension:qos_specs_manage:get_all")
    async with state.db.reader() as s:
        found = await qos.get(s, req.param("qos_id"))
        assoc = await qos.associated_types(s, found.id)
    items = [{"association_type": "volume_type", "name": t.name, "id": t.id} for t in assoc]
    return json_response({"qos_associations": items})


async def _type_param(req: ApiRequest) -> str:
    type_id = req.query.get("vol_type_id")
    if not type_id:
        raise BadRequest("Volume Type id must not be None.")
    return str(type_id)


async def associate(req: ApiRequest) -> Response:
    state = state_of(req)
    req.enforce("volume_extension:qos_specs_manage:update")
    type_id = await _type_param(req)
    async with state.db.session() as s:
        found = await qos.get(s, req.param("qos_id"))
        await qos.associate(s, found.id, await types.get(s, None, type_id))
    return empty(202)


async def disassociate(req: ApiRequest) -> Response:
    state = state_of(req)
    req.enforce("volume_extension:qos_specs_manage:update")
    type_id = await _type_param(req)
    async with state.db.session() as s:
        found = await qos.get(s, req.param("qos_id"))
        vtype = await types.get(s, None, type_id)
        if vtype.qos_specs_id == found.id:
            vtype.qos_specs_id = None
    return empty(202)


async def disassociate_all(req: ApiRequest) -> Response:
    state = state_of(req)
    req.enforce("volume_extension:qos_specs_manage:update")
    async with state.db.session() as s:
        found = await qos.get(s, req.param("qos_id"))
        await qos.disassociate_all(s, found.id)
    return empty(202)
