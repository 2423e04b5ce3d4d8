"""Users: /v3/users and the self-service /v3/users/{user_id}/password."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from nimbostack.core.api.request import ApiRequest
from nimbostack.core.api.responses import empty, json_response
from nimbostack.core.errors import BadRequest, NotFound, Unauthorized
from nimbostack.core.timeutil import iso
from nimbostack.identity import authn
from nimbostack.identity.api.entities import (
    BOOLEAN,
    DESCRIPTION,
    NAME,
    NULLABLE_ID,
    duplicate,
    envelope,
    get_or_404,
    new_id,
    reading,
    writing,
)
from nimbostack.identity.api.links import collection, self_link
from nimbostack.identity.db.models import Domain, User
from nimbostack.identity.objects import passwords
from nimbostack.identity.objects import users as user_objects
from nimbostack.identity.state import state_of
from nimbostack.identity.tokens.revoke import revoke

_FLAG = {"type": ["boolean", "null"]}
OPTIONS = {
    "type": "object",
    "properties": {
        "ignore_change_password_upon_first_use": _FLAG,
        "ignore_password_expiry": _FLAG,
        "ignore_lockout_failure_attempts": _FLAG,
        "lock_password": _FLAG,
        "ignore_user_inactivity": _FLAG,
        "multi_factor_auth_enabled": _FLAG,
        "multi_factor_auth_rules": {
            "type": ["array", "null"],
            "items": {"type": "array", "items": {"type": "string"}},
        },
    },
    "additionalProperties": False,
}
_PASSWORD = {"type": ["string", "null"], "maxLength": 4096}
_FIELDS = {
    "name": NAME,
    "domain_id": {"type": "string", "minLength": 1, "maxLength": 64},
    "enabled": BOOLEAN,
    "password": _PASSWORD,
    "default_project_id": NULLABLE_ID,
    "description": DESCRIPTION,
    "email": {"type": ["string", "null"], "maxLength": 255},
    "options": OPTIONS,
}
CREATE = envelope("user", _FIELDS, required=("name",), strict=False)
UPDATE = envelope("user", _FIELDS, strict=False)
CHANGE_PASSWORD = envelope(
    "user",
    {"password": {"type": "string", "minLength": 1}, "original_password": {"type": "string"}},
    required=("password", "original_password"),
)
_COLUMNS = ("name", "enabled", "default_project_id", "description", "email")
_NOT_EXTRA = (*_COLUMNS, "password", "options", "domain_id", "id", "links")


def view(req: ApiRequest, user: User, expires_at: float | None) -> dict[str, Any]:
    body: dict[str, Any] = {
        **user.extra,
        "id": user.id,
        "name": user.name,
        "domain_id": user.domain_id,
        "enabled": user_objects.is_enabled(user, _days_inactive(req)),
        "password_expires_at": iso(expires_at),
        "options": dict(user.options or {}),
        "links": self_link(req, f"/v3/users/{user.id}"),
    }
    for key in ("default_project_id", "description", "email"):
        if getattr(user, key) is not None:
            body[key] = getattr(user, key)
    return body


def _days_inactive(req: ApiRequest) -> int:
    return int(state_of(req).conf.security_compliance.disable_user_account_days_inactive)


def target(user_id: str) -> dict[str, Any]:
    return {"target": {"user": {"id": user_id}}, "user_id": user_id}


async def _one_view(req: ApiRequest, s: AsyncSession, user: User) -> dict[str, Any]:
    expiry = await user_objects.password_expiry(s, [user.id])
    return view(req, user, expiry.get(user.id))


def _merge_options(current: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
    merged = {**current, **given}
    return {k: v for k, v in merged.items() if v is not None}


async def list_users(req: ApiRequest) -> Response:
    req.enforce("identity:list_users", {})
    stmt = select(User).order_by(User.name)
    if "name" in req.query:
        stmt = stmt.where(User.name == req.query["name"])
    if "domain_id" in req.query:
        stmt = stmt.where(User.domain_id == req.query["domain_id"])
    if "enabled" in req.query:
        stmt = stmt.where(User.enabled == req.query_bool("enabled"))
    wanted = None
    if "password_expires_at" in req.query:
        wanted = user_objects.expiry_filter(req.query["password_expires_at"])
    async with reading(req) as s:
        rows = list(await s.scalars(stmt))
        expiry = await user_objects.password_expiry(s, [u.id for u in rows])
    items = [
        view(req, u, expiry.get(u.id)) for u in rows if wanted is None or wanted(expiry.get(u.id))
    ]
    return json_response(collection(req, "users", items))


async def show_user(req: ApiRequest) -> Response:
    user_id = req.param("user_id")
    req.enforce("identity:get_user", target(user_id))
    async with reading(req) as s:
        user = await get_or_404(s, User, user_id, "user")
        body = await _one_view(req, s, user)
    return json_response({"user": body})


async def create_user(req: ApiRequest) -> Response:
    req.enforce("identity:create_user", {})
    body = (await req.json(CREATE))["user"]
    domain_id = body.get("domain_id") or req.context.domain_id or "default"
    state = state_of(req)
    async with writing(req, "user") as s:
        await get_or_404(s, Domain, domain_id, "domain")
        clash = select(User.id).where(User.domain_id == domain_id, User.name == body["name"])
        if await s.scalar(clash):
            raise duplicate("user", body["name"], domain_id)
        user = User(
            id=new_id(),
            domain_id=domain_id,
            enabled=body.get("enabled", True),
            options=_merge_options({}, body.get("options", {})),
            extra={k: v for k, v in body.items() if k not in _NOT_EXTRA},
            created_at=time.time(),
            failed_auth_count=0,
        )
        for key in ("name", "default_project_id", "description", "email"):
            setattr(user, key, body.get(key))
        s.add(user)
        await s.flush()
        if body.get("password"):
            await passwords.set_password(
                s, state.conf, user.id, body["password"], self_service=False
            )
        result = await _one_view(req, s, user)
    return json_response({"user": result}, 201)


async def update_user(req: ApiRequest) -> Response:
    user_id = req.param("user_id")
    req.enforce("identity:update_user", target(user_id))
    body = (await req.json(UPDATE))["user"]
    state = state_of(req)
    async with writing(req, "user") as s:
        user = await get_or_404(s, User, user_id, "user", lock=True)
        if body.get("domain_id", user.domain_id) != user.domain_id:
            raise BadRequest("Cannot change the domain_id of a user.")
        name = body.get("name")
        if name and name != user.name:
            clash = select(User.id).where(User.domain_id == user.domain_id, User.name == name)
            if await s.scalar(clash):
                raise duplicate("user", name, user.domain_id)
        if body.get("password"):
            await passwords.set_password(
                s, state.conf, user_id, body["password"], self_service=False
            )
        if body.get("password") or (body.get("enabled") is False and user.enabled):
            await revoke(s, user_id=user_id)
        if body.get("enabled") is True:
            # Enabling a user is how an admin lifts a lockout or an idle user's
            # disabling (as in Keystone).
            user.failed_auth_count, user.failed_auth_at = 0, None
            user.last_active_at = time.time()
        for key in _COLUMNS:
            if key in body:
                setattr(user, key, body[key])
        if "options" in body:
            user.options = _merge_options(user.options or {}, body["options"])
        extra = {k: v for k, v in body.items() if k not in _NOT_EXTRA}
        user.extra = {**user.extra, **extra}
        await s.flush()
        result = await _one_view(req, s, user)
    return json_response({"user": result})


async def delete_user(req: ApiRequest) -> Response:
    user_id = req.param("user_id")
    req.enforce("identity:delete_user", target(user_id))
    async with writing(req, "user") as s:
        user = await get_or_404(s, User, user_id, "user")
        await user_objects.delete_user(s, user)
        await revoke(s, user_id=user_id)
    return empty(204)


async def change_password(req: ApiRequest) -> Response:
    """Self-service: no token needed, as a user with an expired password has none.

    The original password is checked as a login checks it: a wrong one counts toward
    lockout, and a locked or disabled account is refused.
    """
    user_id = req.param("user_id")
    body = (await req.json(CHANGE_PASSWORD))["user"]
    state = state_of(req)
    async with reading(req) as s:
        user = await s.get(User, user_id)
    if user is None:
        raise NotFound(f"Could not find user: {user_id}.")
    checked = await authn.check_password(state, user, body["original_password"], allow_expired=True)
    async with writing(req, "user") as s:
        # The user's row lock orders concurrent changes: each sees the one before it.
        user = await s.get(User, user_id, with_for_update=True)
        current = await passwords.current_password(s, user_id)
        if user is None or current is None or current.id != checked.id:
            # Changed since it was checked: the original password is no longer current.
            raise Unauthorized(authn.UNAUTHORIZED)
        if (user.options or {}).get("lock_password"):
            raise BadRequest("You cannot change your password at this time: it is locked.")
        await passwords.set_password(s, state.conf, user_id, body["password"], self_service=True)
        await revoke(s, user_id=user_id)
    return empty(204)
