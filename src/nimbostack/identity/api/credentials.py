"""Credentials: /v3/credentials (blobs are encrypted at rest, visible to their owner).

A token from an application credential sees and stores credentials of its own project
only, and an EC2 key only when the application credential is unrestricted.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from nimbostack.core.api.request import ApiRequest
from nimbostack.core.api.responses import empty, json_response
from nimbostack.core.errors import BadRequest
from nimbostack.identity.api.delegation import (
    check_project,
    forbid_restricted,
    in_project,
    token_app_cred,
)
from nimbostack.identity.api.entities import ID_REF, NULLABLE_ID, envelope, reading, writing
from nimbostack.identity.api.links import collection, self_link
from nimbostack.identity.db.extension_models import Credential
from nimbostack.identity.db.models import ApplicationCredential
from nimbostack.identity.objects import credentials as creds
from nimbostack.identity.state import state_of

_BLOB = {"type": "string", "minLength": 1, "maxLength": 65535}
_TYPE = {"type": "string", "minLength": 1, "maxLength": 255}
_FIELDS = {"blob": _BLOB, "type": _TYPE, "user_id": ID_REF, "project_id": NULLABLE_ID}
CREATE = envelope("credential", _FIELDS, required=("blob", "type", "user_id"), strict=False)
UPDATE = envelope("credential", _FIELDS, strict=False)
_NOT_EXTRA = ("id", "links", *_FIELDS)
_WHAT = "Credential"


def view(req: ApiRequest, cred: Credential, blob: str | None = None) -> dict[str, Any]:
    if blob is None:
        blob = creds.decrypt(state_of(req).secrets, cred.encrypted_blob)
    return {
        **cred.extra,
        "id": cred.id,
        "user_id": cred.user_id,
        "project_id": cred.project_id,
        "type": cred.type,
        "blob": blob,
        "links": self_link(req, f"/v3/credentials/{cred.id}"),
    }


def _check_delegation(
    origin: ApplicationCredential | None, cred_type: str, project_id: str | None
) -> None:
    """What a token from an application credential may store: an EC2 key only when the
    credential is unrestricted, and anything only in the credential's project."""
    if cred_type == creds.EC2:
        forbid_restricted(origin, "credentials")
    check_project(origin, project_id, _WHAT)


def _extra(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k not in _NOT_EXTRA}


async def list_credentials(req: ApiRequest) -> Response:
    """Everything for an admin or system reader; only one's own for anyone else."""
    req.enforce("identity:list_credentials", {})
    filters = {k: req.query[k] for k in ("user_id", "type") if k in req.query}
    async with reading(req) as s:
        rows = await creds.owned_rows(req, s, "identity:get_credential", filters)
        origin = await token_app_cred(req, s)
    rows = [c for c in rows if in_project(origin, c.project_id)]
    return json_response(collection(req, "credentials", [view(req, c) for c in rows]))


async def show_credential(req: ApiRequest) -> Response:
    async with reading(req) as s:
        cred = await creds.visible(req, s, req.param("credential_id"), "identity:get_credential")
        check_project(await token_app_cred(req, s), cred.project_id, _WHAT)
    return json_response({"credential": view(req, cred)})


async def create_credential(req: ApiRequest) -> Response:
    body = (await req.json(CREATE))["credential"]
    req.enforce("identity:create_credential", {"credential": {"user_id": body["user_id"]}})
    async with writing(req, "credential") as s:
        _check_delegation(await token_app_cred(req, s), body["type"], body.get("project_id"))
        cred, blob = await creds.store(req, s, body, _extra(body))
    return json_response({"credential": view(req, cred, blob)}, 201)


async def update_credential(req: ApiRequest) -> Response:
    """Only the blob, type, project and extra attributes change; the owner never does."""
    body = (await req.json(UPDATE))["credential"]
    async with writing(req, "credential") as s:
        cred = await creds.visible(
            req, s, req.param("credential_id"), "identity:update_credential", lock=True
        )
        if body.get("user_id", cred.user_id) != cred.user_id:
            raise BadRequest("The owner of a credential cannot be changed.")
        blob = body.get("blob") or creds.decrypt(state_of(req).secrets, cred.encrypted_blob)
        cred_type = body.get("type", cred.type)
        project_id = body.get("project_id", cred.project_id)
        origin = await token_app_cred(req, s)
        check_project(origin, cred.project_id, _WHAT)
        _check_delegation(origin, cred_type, project_id)
        if cred_type == creds.EC2:
            creds.credential_id(cred_type, blob, project_id)  # validates blob and project
        await creds.check_refs(s, cred.user_id, project_id)
        cred.type, cred.project_id = cred_type, project_id
        cred.encrypted_blob = creds.encrypt(state_of(req).secrets, blob)
        cred.extra = {**cred.extra, **_extra(body)}
    return json_response({"credential": view(req, cred, blob)})


async def delete_credential(req: ApiRequest) -> Response:
    async with writing(req, "credential") as s:
        cred = await creds.visible(req, s, req.param("credential_id"), "identity:delete_credential")
        check_project(await token_app_cred(req, s), cred.project_id, _WHAT)
        await s.delete(cred)
    return empty(204)
