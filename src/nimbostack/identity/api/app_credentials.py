"""Application credentials: /v3/users/{user_id}/application_credentials.

The secret is returned once, on creation, and stored only as a bcrypt hash; the token
code authenticates with the stored project and role subset. A credential's roles come
from the creating token's, and only an unrestricted credential's token may create or
delete credentials (api/delegation.py).
"""

from __future__ import annotations

import base64
import os
import time
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from nimbostack.core.api.request import ApiRequest
from nimbostack.core.api.responses import empty, json_response
from nimbostack.core.errors import ApiError, BadRequest, Conflict, NotFound
from nimbostack.core.timeutil import iso, parse_iso
from nimbostack.identity.api.delegation import forbid_restricted, token_app_cred
from nimbostack.identity.api.entities import (
    DESCRIPTION,
    NAME,
    envelope,
    get_or_404,
    new_id,
    reading,
    writing,
)
from nimbostack.identity.api.links import collection, self_link
from nimbostack.identity.db.models import ApplicationCredential, Role, User
from nimbostack.identity.objects.assignments import effective_roles
from nimbostack.identity.passwords import hash_password_async
from nimbostack.identity.state import state_of
from nimbostack.identity.tokens.revoke import revoke

_ROLE_REF = {
    "type": "object",
    "properties": {"id": {"type": "string"}, "name": {"type": "string"}},
    "minProperties": 1,
    "additionalProperties": False,
}
CREATE = envelope(
    "application_credential",
    {
        "name": NAME,
        "description": DESCRIPTION,
        "secret": {"type": ["string", "null"], "minLength": 1, "maxLength": 4096},
        "expires_at": {"type": ["string", "null"]},
        "roles": {"type": "array", "items": _ROLE_REF},
        "unrestricted": {"type": ["boolean", "null"]},
        "access_rules": {"type": "array", "items": {"type": "object"}},
    },
    required=("name",),
)

UNASSIGNED = (
    "Invalid application credential: Cannot create an application credential with unassigned role"
)


def view(req: ApiRequest, cred: ApplicationCredential) -> dict[str, Any]:
    path = f"/v3/users/{cred.user_id}/application_credentials/{cred.id}"
    return {
        "id": cred.id,
        "name": cred.name,
        "description": cred.description,
        "user_id": cred.user_id,
        "project_id": cred.project_id,
        "roles": [{**r, "domain_id": None} for r in cred.roles],
        "expires_at": _naive_iso(cred.expires_at),
        "unrestricted": cred.unrestricted,
        "access_rules": list(cred.access_rules or []),
        "links": self_link(req, path),
    }


def _naive_iso(ts: float | None) -> str | None:
    """Keystone echoes expires_at as a naive UTC timestamp with microseconds, no ``Z``."""
    text = iso(ts, micro=True)
    return text[:-1] if text else None


def _target(user_id: str) -> dict[str, Any]:
    return {"target": {"user": {"id": user_id}}, "user_id": user_id}


def _expiry(raw: str | None) -> float | None:
    if raw is None:
        return None
    try:
        when = parse_iso(raw)
    except ValueError:
        raise BadRequest(
            f"Invalid input for field 'application_credential.expires_at': {raw!r} is not "
            "an ISO 8601 timestamp"
        ) from None
    if when <= time.time():
        raise BadRequest("The application credential's expires_at must be in the future.")
    return when


async def _pick_roles(
    s: AsyncSession, wanted: list[dict[str, str]] | None, allowed: list[tuple[str, str]]
) -> list[dict[str, str]]:
    """The requested roles (by default, all of the token's); each must be in the token.

    Checking against the token, not the user's assignments, keeps a token from an
    application credential from minting one with roles the user holds but it does not.
    """
    if not wanted:
        return [{"id": rid, "name": name} for rid, name in allowed]
    chosen: list[dict[str, str]] = []
    for ref in wanted:
        match = [(i, n) for i, n in allowed if ref.get("id", i) == i and ref.get("name", n) == n]
        if not match:
            raise await _not_allowed(s, ref)
        rid, name = match[0]
        if all(c["id"] != rid for c in chosen):
            chosen.append({"id": rid, "name": name})
    return chosen


async def _not_allowed(s: AsyncSession, ref: dict[str, str]) -> ApiError:
    """A role named that does not exist is a 404; any other role not held, a 400."""
    if "id" not in ref:
        known = select(Role.id).where(Role.name == ref["name"], Role.domain_id == "")
        if await s.scalar(known) is None:
            return NotFound(f"Could not find role: {ref['name']}.")
    return BadRequest(UNASSIGNED)


def _new_secret() -> str:
    return base64.urlsafe_b64encode(os.urandom(64)).decode().rstrip("=")


async def create_application_credential(req: ApiRequest) -> Response:
    user_id = req.param("user_id")
    req.enforce("identity:create_application_credential", _target(user_id))
    body = (await req.json(CREATE))["application_credential"]
    project_id = req.context.project_id
    if not project_id:
        raise BadRequest("Application credentials can only be created with a project-scoped token.")
    expires_at = _expiry(body.get("expires_at"))
    secret = body.get("secret") or _new_secret()
    rounds = state_of(req).conf.identity.password_hash_rounds
    async with writing(req, "application_credential") as s:
        forbid_restricted(await token_app_cred(req, s), "application credentials")
        await get_or_404(s, User, user_id, "user")
        clash = select(ApplicationCredential.id).where(
            ApplicationCredential.user_id == user_id, ApplicationCredential.name == body["name"]
        )
        if await s.scalar(clash):
            raise Conflict(
                "Conflict occurred attempting to store application_credential - "
                f"Duplicate entry found with name {body['name']}."
            )
        in_token = set(req.context.roles)
        held = await effective_roles(s, user_id, project_id=project_id)
        allowed = [(rid, name) for rid, name in held if name in in_token]
        cred = ApplicationCredential(
            id=new_id(),
            name=body["name"],
            user_id=user_id,
            project_id=project_id,
            secret_hash=await hash_password_async(secret, rounds),
            description=body.get("description"),
            expires_at=expires_at,
            unrestricted=bool(body.get("unrestricted")),
            roles=await _pick_roles(s, body.get("roles"), allowed),
            access_rules=body.get("access_rules", []),
            created_at=time.time(),
        )
        s.add(cred)
    return json_response({"application_credential": {**view(req, cred), "secret": secret}}, 201)


async def list_application_credentials(req: ApiRequest) -> Response:
    user_id = req.param("user_id")
    req.enforce("identity:list_application_credentials", _target(user_id))
    stmt = select(ApplicationCredential).where(ApplicationCredential.user_id == user_id)
    if "name" in req.query:
        stmt = stmt.where(ApplicationCredential.name == req.query["name"])
    async with reading(req) as s:
        await get_or_404(s, User, user_id, "user")
        rows = list(await s.scalars(stmt.order_by(ApplicationCredential.name)))
    items = [view(req, c) for c in rows]
    return json_response(collection(req, "application_credentials", items))


async def _owned(s: Any, user_id: str, cred_id: str) -> ApplicationCredential:
    cred = await s.get(ApplicationCredential, cred_id)
    if cred is None or cred.user_id != user_id:
        raise NotFound(f"Could not find Application Credential: {cred_id}.")
    assert isinstance(cred, ApplicationCredential)
    return cred


async def show_application_credential(req: ApiRequest) -> Response:
    user_id = req.param("user_id")
    req.enforce("identity:get_application_credential", _target(user_id))
    async with reading(req) as s:
        cred = await _owned(s, user_id, req.param("application_credential_id"))
    return json_response({"application_credential": view(req, cred)})


async def delete_application_credential(req: ApiRequest) -> Response:
    user_id = req.param("user_id")
    req.enforce("identity:delete_application_credential", _target(user_id))
    async with writing(req, "application_credential") as s:
        forbid_restricted(await token_app_cred(req, s), "application credentials")
        cred = await _owned(s, user_id, req.param("application_credential_id"))
        await s.delete(cred)
        await revoke(s, app_cred_id=cred.id)
    return empty(204)
