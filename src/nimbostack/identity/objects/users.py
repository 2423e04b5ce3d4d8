"""Users: password expiry for views, list filters on it, and deletion with grants."""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from nimbostack.core.errors import BadRequest
from nimbostack.core.timeutil import parse_iso
from nimbostack.identity.db.models import Assignment, Password, User

_OPERATORS: dict[str, Callable[[float, float], bool]] = {
    "lt": operator.lt,
    "lte": operator.le,
    "gt": operator.gt,
    "gte": operator.ge,
    "eq": operator.eq,
    "neq": operator.ne,
}


async def password_expiry(
    session: AsyncSession, user_ids: Sequence[str]
) -> dict[str, float | None]:
    """user id → expiry of their current (newest) password, for the given users."""
    result: dict[str, float | None] = {}
    rows = await session.execute(
        select(Password.user_id, Password.expires_at)
        .where(Password.user_id.in_(list(user_ids)))
        .order_by(Password.created_at, Password.id)
    )
    for user_id, expires_at in rows:
        result[user_id] = expires_at  # the newest row comes last and wins
    return result


def expiry_filter(raw: str) -> Callable[[float | None], bool]:
    """``password_expires_at=<op>:<timestamp>`` (op defaults to eq), as Keystone reads it."""
    op_name, sep, stamp = raw.partition(":")
    if not sep or op_name not in _OPERATORS:
        op_name, stamp = "eq", raw
    try:
        when = parse_iso(stamp)
    except ValueError:
        raise BadRequest(
            f"Invalid value {raw!r} for query parameter 'password_expires_at': "
            "expected [lt|lte|gt|gte|eq|neq:]<ISO 8601 timestamp>"
        ) from None
    compare = _OPERATORS[op_name]
    return lambda expires: expires is not None and compare(int(expires), int(when))


async def delete_user(session: AsyncSession, user: User) -> None:
    """Delete a user; memberships, passwords and app credentials go by cascade."""
    await session.execute(delete(Assignment).where(Assignment.actor_id == user.id))
    await session.delete(user)
