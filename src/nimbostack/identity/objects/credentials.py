"""Credentials: blob encryption, EC2 blob rules, and who may see which credential."""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any

from cryptography.fernet import InvalidToken, MultiFernet
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from nimbostack.core.api.request import ApiRequest
from nimbostack.core.db.locks import get_for_update
from nimbostack.core.errors import BadRequest, Conflict, NotFound
from nimbostack.identity.db.extension_models import Credential
from nimbostack.identity.db.models import Project, User
from nimbostack.identity.state import state_of

EC2 = "ec2"


def encrypt(fernet: MultiFernet, text: str) -> str:
    return fernet.encrypt(text.encode()).decode()


def decrypt(fernet: MultiFernet, token: str) -> str:
    try:
        return fernet.decrypt(token.encode()).decode()
    except InvalidToken:
        # The credential keys were replaced: the blob is unreadable, not the request bad.
        raise NotFound("The credential's blob cannot be decrypted with the current keys.") from None


def ec2_blob(blob: str) -> dict[str, Any]:
    """The parsed blob of an EC2 credential: a JSON object with a string ``access``."""
    try:
        parsed = json.loads(blob)
    except ValueError:
        parsed = None
    if not isinstance(parsed, dict) or not isinstance(parsed.get("access"), str):
        raise BadRequest("Invalid blob in credential: an ec2 blob is a JSON object with 'access'.")
    return parsed


def ec2_id(access: str) -> str:
    """EC2 credentials are found by access key, so their id is derived from it."""
    return hashlib.sha256(access.encode()).hexdigest()


def credential_id(cred_type: str, blob: str, project_id: str | None) -> str:
    if cred_type != EC2:
        return uuid.uuid4().hex
    if not project_id:
        raise BadRequest("Invalid input for field 'credential.project_id': ec2 needs a project.")
    return ec2_id(ec2_blob(blob)["access"])


async def check_refs(s: AsyncSession, user_id: str, project_id: str | None) -> None:
    if await s.get(User, user_id) is None:
        raise BadRequest(f"Could not find user: {user_id}.")
    if project_id and await s.get(Project, project_id) is None:
        raise BadRequest(f"Could not find project: {project_id}.")


async def store(
    req: ApiRequest, s: AsyncSession, body: dict[str, Any], extra: dict[str, Any]
) -> tuple[Credential, str]:
    """Insert a credential from a validated body; returns the row and its plain blob."""
    project_id = body.get("project_id")
    await check_refs(s, body["user_id"], project_id)
    cred_id = credential_id(body["type"], body["blob"], project_id)
    if await s.get(Credential, cred_id) is not None:
        raise Conflict("Conflict occurred attempting to store credential - Duplicate ID.")
    cred = Credential(
        id=cred_id,
        user_id=body["user_id"],
        project_id=project_id,
        type=body["type"],
        encrypted_blob=encrypt(state_of(req).secrets, body["blob"]),
        extra=extra,
    )
    s.add(cred)
    return cred, body["blob"]


def target(cred: Credential) -> dict[str, Any]:
    return {"target": {"credential": {"user_id": cred.user_id}}, "user_id": cred.user_id}


async def visible(
    req: ApiRequest, s: AsyncSession, cred_id: str, rule: str, *, lock: bool = False
) -> Credential:
    """The credential if the caller may act on it; someone else's is a 404, not a 403."""
    cred = await (get_for_update(s, Credential, cred_id) if lock else s.get(Credential, cred_id))
    if cred is None or not req.allowed(rule, target(cred)):
        raise NotFound(f"Could not find credential: {cred_id}.")
    return cred


async def owned_rows(
    req: ApiRequest, s: AsyncSession, rule: str, filters: dict[str, str]
) -> list[Credential]:
    """The credentials matching ``filters`` that the caller may see."""
    stmt = select(Credential).order_by(Credential.id)
    for name, value in filters.items():
        stmt = stmt.where(getattr(Credential, name) == value)
    rows = await s.scalars(stmt)
    return [c for c in rows if req.allowed(rule, target(c))]
