"""``/types``: volume types (public or private), their extra specs and project access."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from starlette.responses import Response

from nimbostack.core.api.request import ApiRequest, validate
from nimbostack.core.api.responses import empty, json_response
from nimbostack.core.errors import BadRequest, Conflict, NotFound
from nimbostack.volume.api.schemas import BOOLEAN, DESCRIPTION, KEY_VALUES, obj, wrapped
from nimbostack.volume.api.scope import as_bool
from nimbostack.volume.db.models import VolumeType
from nimbostack.volume.objects import keyvalues, types
from nimbostack.volume.state import state_of

NAME = {"type": "string", "minLength": 1, "maxLength": 255}
CREATE = wrapped(
    "volume_type",
    obj(
        {
            "name": NAME,
            "description": DESCRIPTION,
            "is_public": BOOLEAN,
            "os-volume-type-access:is_public": BOOLEAN,
            "extra_specs": KEY_VALUES,
        },
        ["name"],
    ),
)
UPDATE = wrapped(
    "volume_type", obj({"name": NAME, "description": DESCRIPTION, "is_public": BOOLEAN})
)
ACCESS = obj({"project": {"type": "string", "minLength": 1, "maxLength": 255}}, ["project"])
# Extra specs a user without read_sensitive still sees (Cinder's list).
USER_VISIBLE = ("multiattach", "RESKEY:availability_zones", "replication_enabled")
TABLE = keyvalues.EXTRA_SPECS


def view(req: ApiRequest, t: VolumeType, specs: dict[str, str]) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": t.id,
        "name": t.name,
        "is_public": t.is_public,
        "description": t.description,
        "os-volume-type-access:is_public": t.is_public,
    }
    own = {"project_id": req.context.project_id or ""}
    if req.allowed("volume_extension:access_types_extra_specs", own):
        if req.allowed("volume_extension:types_extra_specs:read_sensitive", own):
            body["extra_specs"] = specs
        else:
            body["extra_specs"] = {k: v for k, v in specs.items() if k in USER_VISIBLE}
    if req.allowed("volume_extension:access_types_qos_specs_id", own):
        body["qos_specs_id"] = t.qos_specs_id
    return body


async def list_types(req: ApiRequest) -> Response:
    state = state_of(req)
    req.enforce("volume_extension:type_get_all", {"project_id": req.context.project_id or ""})
    stmt = select(VolumeType).order_by(VolumeType.name)
    scope = types.accessible(req.context)
    if scope is not None:
        stmt = stmt.where(scope)
    elif "is_public" in req.query and req.query["is_public"].lower() != "none":
        stmt = stmt.where(VolumeType.is_public.is_(req.query_bool("is_public")))
    elif "is_public" not in req.query:
        stmt = stmt.where(VolumeType.is_public.is_(True))
    async with state.db.reader() as s:
        rows = list((await s.scalars(stmt)).all())
        found = [(t, await keyvalues.read(s, TABLE, t.id)) for t in rows]
    return json_response({"volume_types": [view(req, t, specs) for t, specs in found]})


async def _get(req: ApiRequest, key: str) -> tuple[VolumeType, dict[str, str]]:
    state = state_of(req)
    async with state.db.reader() as s:
        if key == "default":
            vtype = await types.default(s, str(state.options.default_volume_type))
        else:
            vtype = await types.get(s, req.context, key)
        return vtype, await keyvalues.read(s, TABLE, vtype.id)


async def show_type(req: ApiRequest) -> Response:
    req.enforce("volume_extension:type_get", {"project_id": req.context.project_id or ""})
    vtype, specs = await _get(req, req.param("type_id"))
    return json_response({"volume_type": view(req, vtype, specs)})


async def show_default_type(req: ApiRequest) -> Response:
    req.enforce("volume_extension:type_get", {"project_id": req.context.project_id or ""})
    vtype, specs = await _get(req, "default")
    return json_response({"volume_type": view(req, vtype, specs)})


async def create_type(req: ApiRequest) -> Response:
    state = state_of(req)
    req.enforce("volume_extension:type_create")
    wanted = (await req.json(CREATE))["volume_type"]
    public = wanted.get("os-volume-type-access:is_public", wanted.get("is_public", True))
    try:
        async with state.db.session() as s:
            vtype = await types.create(
                s,
                name=wanted["name"].strip(),
                description=wanted.get("description"),
                is_public=as_bool(public, "is_public"),
                extra_specs=dict(wanted.get("extra_specs") or {}),
            )
            specs = await keyvalues.read(s, TABLE, vtype.id)
    except IntegrityError:  # a twin request took the name between check and insert
        raise Conflict(f"Volume Type {wanted['name']} already exists.") from None
    return json_response({"volume_type": view(req, vtype, specs)})


async def update_type(req: ApiRequest) -> Response:
    state = state_of(req)
    req.enforce("volume_extension:type_update")
    wanted = (await req.json(UPDATE))["volume_type"]
    if not wanted:
        raise BadRequest(
            "Specify volume type name, description, is_public or a combination thereof."
        )
    async with state.db.session() as s:
        vtype = await types.get(s, None, req.param("type_id"))
        if "name" in wanted:
            await types.rename_check(s, vtype, wanted["name"].strip())
            vtype.name = wanted["name"].strip()
        if "description" in wanted:
            vtype.description = wanted["description"]
        if "is_public" in wanted:
            vtype.is_public = as_bool(wanted["is_public"], "is_public")
        vtype.updated_at = time.time()
        specs = await keyvalues.read(s, TABLE, vtype.id)
    return json_response({"volume_type": view(req, vtype, specs)})


async def delete_type(req: ApiRequest) -> Response:
    state = state_of(req)
    req.enforce("volume_extension:type_delete")
    async with state.db.session() as s:
        vtype = await types.get(s, None, req.param("type_id"))
        if vtype.name == state.options.default_volume_type:
            raise BadRequest("Target volume type is the default type and cannot be deleted.")
        if await types.in_use(s, vtype.id):
            raise BadRequest("Target volume type is still in use.")
        await s.delete(vtype)
    return empty(202)


# -- extra specs ----------------------------------------------------------------------
async def list_extra_specs(req: ApiRequest) -> Response:
    req.enforce("volume_extension:types_extra_specs:index", {"project_id": req.context.project_id})
    _vtype, specs = await _get(req, req.param("type_id"))
    return json_response({"extra_specs": view(req, _vtype, specs).get("extra_specs", {})})


async def create_extra_specs(req: ApiRequest) -> Response:
    state = state_of(req)
    req.enforce("volume_extension:types_extra_specs:create")
    wanted = (await req.json(wrapped("extra_specs", KEY_VALUES)))["extra_specs"]
    async with state.db.session() as s:
        vtype = await types.get(s, None, req.param("type_id"))
        await keyvalues.merge(s, TABLE, vtype.id, wanted)
    return json_response({"extra_specs": wanted})


async def show_extra_spec(req: ApiRequest) -> Response:
    req.enforce("volume_extension:types_extra_specs:show", {"project_id": req.context.project_id})
    key = req.param("key")
    vtype, specs = await _get(req, req.param("type_id"))
    shown = view(req, vtype, specs).get("extra_specs", {})
    if key not in shown:
        raise NotFound(f"Volume Type {vtype.id} has no extra specs with key {key}.")
    return json_response({key: shown[key]})


async def update_extra_spec(req: ApiRequest) -> Response:
    state = state_of(req)
    req.enforce("volume_extension:types_extra_specs:update")
    key = req.param("key")
    body = await req.json({**KEY_VALUES, "minProperties": 1, "maxProperties": 1})
    if key not in body:
        raise BadRequest("Request body and URI mismatch")
    async with state.db.session() as s:
        vtype = await types.get(s, None, req.param("type_id"))
        await keyvalues.merge(s, TABLE, vtype.id, body)
    return json_response(body)


async def delete_extra_spec(req: ApiRequest) -> Response:
    state = state_of(req)
    req.enforce("volume_extension:types_extra_specs:delete")
    key = req.param("key")
    async with state.db.session() as s:
        vtype = await types.get(s, None, req.param("type_id"))
        if not await keyvalues.remove(s, TABLE, vtype.id, key):
            raise NotFound(f"Volume Type {vtype.id} has no extra specs with key {key}.")
    return empty(202)


# -- private types --------------------------------------------------------------------
async def type_action(req: ApiRequest) -> Response:
    state = state_of(req)
    body = await req.json({"type": "object", "minProperties": 1, "maxProperties": 1})
    name, args = next(iter(body.items()))
    if name not in ("addProjectAccess", "removeProjectAccess"):
        raise BadRequest(f"There is no such action: {name}")
    req.enforce(
        "volume_extension:volume_type_access:addProjectAccess"
        if name == "addProjectAccess"
        else "volume_extension:volume_type_access:removeProjectAccess"
    )
    validate(args, ACCESS)
    async with state.db.session() as s:
        vtype = await types.get(s, None, req.param("type_id"))
        if vtype.is_public:
            raise BadRequest(
                "Invalid volume type: Type access modification is not applicable "
                "to public volume type."
            )
        if name == "addProjectAccess":
            await types.add_project(s, vtype.id, args["project"])
        else:
            await types.remove_project(s, vtype.id, args["project"])
    return empty(202)


async def list_type_access(req: ApiRequest) -> Response:
    state = state_of(req)
    req.enforce("volume_extension:volume_type_access:get_all_for_type")
    async with state.db.reader() as s:
        vtype = await types.get(s, None, req.param("type_id"))
        if vtype.is_public:
            raise NotFound("Access list not available for public volume types.")
        found = await types.projects(s, vtype.id)
    access = [{"volume_type_id": vtype.id, "project_id": p} for p in found]
    return json_response({"volume_type_access": access})


async def show_encryption(req: ApiRequest) -> Response:
    """Types are never encrypted here: Cinder's empty answer."""
    _vtype, _specs = await _get(req, req.param("type_id"))
    return json_response({})
