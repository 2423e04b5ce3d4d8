"""Users: whether one may sign in, password expiry for views and filters, deletion."""

from __future__ import annotations

import operator
import time
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


def is_enabled(user: User, days_inactive: int) -> bool:
    """Enabled, and not idle longer than ``[security_compliance]
    disable_user_account_days_inactive`` (unless the user is exempt from it).

    An idle user is disabled as Keystone's is: no login, no token validates, and the
    API shows ``enabled: false`` until an admin enables the user again.
    """
    if not user.enabled:
        return False
    if not days_inactive or (user.options or {}).get("ignore_user_inactivity"):
        return True
    last = user.last_active_at or user.created_at
    return last is None or time.time() - last < days_inactive * 86400


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
