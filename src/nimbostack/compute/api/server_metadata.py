"""``/servers/{id}/metadata[/{key}]``: a server's user metadata.

Each change is made to the metadata as it is in the row, read FOR UPDATE in the
transaction that writes it back: concurrent changes of different keys all land.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.responses import Response

from nimbostack.compute import states as st
from nimbostack.compute.api.deps import ApiState, compute_conf, state_of
from nimbostack.compute.api.server_create_schema import METADATA
from nimbostack.compute.api.server_lookup import load_server, target
from nimbostack.compute.db.models import Instance
from nimbostack.compute.messages import InstanceNotFound
from nimbostack.compute.objects import instances
from nimbostack.core.api.request import ApiRequest
from nimbostack.core.api.responses import empty, json_response
from nimbostack.core.errors import BadRequest, Conflict, Forbidden, NotFound

BODY = {
    "type": "object",
    "properties": {"metadata": METADATA},
    "required": ["metadata"],
    "additionalProperties": False,
}
ITEM = {
    "type": "object",
    "properties": {"meta": {**METADATA, "minProperties": 1, "maxProperties": 1}},
    "required": ["meta"],
    "additionalProperties": False,
}


async def _load(req: ApiRequest, rule: str) -> tuple[ApiState, Instance]:
    state = state_of(req)
    instance = await load_server(req, state)
    req.enforce(rule, target(instance))
    return state, instance


def _writable(req: ApiRequest, instance: Instance) -> None:
    if instance.locked and not req.context.is_admin:
        raise Conflict(f"Instance {instance.uuid} is locked")
    if instance.task_state in (st.DELETING, st.SOFT_DELETING) or instance.vm_state in (
        st.DELETED,
        st.SOFT_DELETED,
    ):
        raise Conflict(
            f"Cannot 'update metadata' instance {instance.uuid} while it is in task_state "
            f"{instance.task_state}"
        )


Meta = dict[str, str]


async def _store(
    req: ApiRequest, state: ApiState, instance: Instance, change: Callable[[Meta], Meta]
) -> Meta:
    """Apply ``change`` to the server's current metadata under its row lock."""
    limit = int(compute_conf(state).quota_metadata_items)
    async with state.db.session() as s:
        try:
            row = await instances.get_for_update(s, instance.uuid)
        except InstanceNotFound:
            raise NotFound(f"Instance {instance.uuid} could not be found.") from None
        _writable(req, row)
        meta = change({str(k): str(v) for k, v in (row.metadata_ or {}).items()})
        if 0 <= limit < len(meta):
            raise Forbidden("Quota exceeded, too many metadata items.")
        row.metadata_ = meta
    return meta


async def list_metadata(req: ApiRequest) -> Response:
    _state, instance = await _load(req, "os_compute_api:server-metadata:index")
    return json_response({"metadata": dict(instance.metadata_ or {})})


async def update_metadata(req: ApiRequest) -> Response:
    state, instance = await _load(req, "os_compute_api:server-metadata:create")
    body = await req.json(BODY)
    _writable(req, instance)
    meta = await _store(req, state, instance, lambda meta: {**meta, **body["metadata"]})
    return json_response({"metadata": meta})


async def replace_metadata(req: ApiRequest) -> Response:
    state, instance = await _load(req, "os_compute_api:server-metadata:update_all")
    body = await req.json(BODY)
    _writable(req, instance)
    meta = await _store(req, state, instance, lambda _meta: dict(body["metadata"]))
    return json_response({"metadata": meta})


async def show_metadata_item(req: ApiRequest) -> Response:
    _state, instance = await _load(req, "os_compute_api:server-metadata:show")
    key = req.param("key")
    if key not in (instance.metadata_ or {}):
        raise NotFound("Metadata item was not found")
    return json_response({"meta": {key: instance.metadata_[key]}})


async def set_metadata_item(req: ApiRequest) -> Response:
    state, instance = await _load(req, "os_compute_api:server-metadata:update")
    body = await req.json(ITEM)
    key = req.param("key")
    if key not in body["meta"]:
        raise BadRequest("Request body and URI mismatch")
    _writable(req, instance)
    await _store(req, state, instance, lambda meta: {**meta, **body["meta"]})
    return json_response({"meta": body["meta"]})


async def delete_metadata_item(req: ApiRequest) -> Response:
    state, instance = await _load(req, "os_compute_api:server-metadata:delete")
    key = req.param("key")
    if key not in (instance.metadata_ or {}):
        raise NotFound("Metadata item was not found")
    _writable(req, instance)

    def without(meta: Meta) -> Meta:
        if key not in meta:
            raise NotFound("Metadata item was not found")
        return {k: v for k, v in meta.items() if k != key}

    await _store(req, state, instance, without)
    return empty(204)
