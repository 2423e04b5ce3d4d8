"""EC2 credentials: /v3/users/{user_id}/credentials/OS-EC2 (credentials of type ec2)."""

from __future__ import annotations

import json
import secrets
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from nimbostack.core.api.request import ApiRequest
from nimbostack.core.api.responses import empty, json_response
from nimbostack.core.errors import NotFound
from nimbostack.identity.api.delegation import (
    check_project,
    forbid_restricted,
    in_project,
    token_app_cred,
)
from nimbostack.identity.api.entities import ID_REF, reading, writing
from nimbostack.identity.api.links import collection, self_link
from nimbostack.identity.db.extension_models import Credential
from nimbostack.identity.objects import credentials as creds
from nimbostack.identity.state import state_of

_WHAT = "EC2 credential"
CREATE = {
    "type": "object",
    "properties": {"tenant_id": ID_REF, "project_id": ID_REF},
    "anyOf": [{"required": ["tenant_id"]}, {"required": ["project_id"]}],
}


def _target(user_id: str) -> dict[str, Any]:
    return {"target": {"credential": {"user_id": user_id}}, "user_id": user_id}


def view(req: ApiRequest, cred: Credential, blob: dict[str, Any]) -> dict[str, Any]:
    path = f"/v3/users/{cred.user_id}/credentials/OS-EC2/{blob['access']}"
    return {
        "user_id": cred.user_id,
        "tenant_id": cred.project_id,
        "access": blob["access"],
        "secret": blob.get("secret"),
        "trust_id": blob.get("trust_id"),
        "links": self_link(req, path),
    }


def _blob(req: ApiRequest, cred: Credential) -> dict[str, Any]:
    return creds.ec2_blob(creds.decrypt(state_of(req).secrets, cred.encrypted_blob))


async def _find(req: ApiRequest, s: AsyncSession, rule: str) -> Credential:
    """The user's EC2 credential with this access key (its id is the key's hash)."""
    user_id, access = req.param("user_id"), req.param("credential_id")
    req.enforce(rule, _target(user_id))
    cred = await s.get(Credential, creds.ec2_id(access))
    if cred is None or cred.user_id != user_id or cred.type != creds.EC2:
        raise NotFound(f"Could not find credential: {access}.")
    check_project(await token_app_cred(req, s), cred.project_id, _WHAT)
    return cred


async def list_ec2_credentials(req: ApiRequest) -> Response:
    user_id = req.param("user_id")
    req.enforce("identity:ec2_list_credentials", _target(user_id))
    filters = {"user_id": user_id, "type": creds.EC2}
    async with reading(req) as s:
        rows = await creds.owned_rows(req, s, "identity:ec2_get_credential", filters)
        origin = await token_app_cred(req, s)
        rows = [c for c in rows if in_project(origin, c.project_id)]
    items = [view(req, c, _blob(req, c)) for c in rows]
    return json_response(collection(req, "credentials", items))


async def show_ec2_credential(req: ApiRequest) -> Response:
    async with reading(req) as s:
        cred = await _find(req, s, "identity:ec2_get_credential")
    return json_response({"credential": view(req, cred, _blob(req, cred))})


async def create_ec2_credential(req: ApiRequest) -> Response:
    """A fresh access/secret pair for the user on the project (``tenant_id``)."""
    user_id = req.param("user_id")
    req.enforce("identity:ec2_create_credential", _target(user_id))
    body = await req.json(CREATE)
    project_id = body.get("tenant_id") or body["project_id"]
    blob = {"access": secrets.token_hex(16), "secret": secrets.token_hex(16), "trust_id": None}
    fields = {"user_id": user_id, "project_id": project_id, "type": creds.EC2}
    async with writing(req, "credential") as s:
        origin = await token_app_cred(req, s)
        # An EC2 key carries every right of its user: not for a restricted credential.
        forbid_restricted(origin, "application credentials")
        check_project(origin, project_id, _WHAT)
        cred, _ = await creds.store(req, s, {**fields, "blob": json.dumps(blob)}, {})
    return json_response({"credential": view(req, cred, blob)}, 201)


async def delete_ec2_credential(req: ApiRequest) -> Response:
    async with writing(req, "credential") as s:
        cred = await _find(req, s, "identity:ec2_delete_credential")
        forbid_restricted(await token_app_cred(req, s), "application credentials")
        await s.delete(cred)
    return empty(204)
