"""Account lockout: every password attempt is counted before its password is checked.

Counting first, with one conditional UPDATE, is what makes the limit hold under
concurrency: many guesses sent at once cannot all read an unlocked account and all be
checked. Once ``lockout_failure_attempts`` attempts have failed or are in flight, the
next is refused for ``lockout_duration`` seconds without looking at its password. A
right password clears the count (as does an admin enabling the user).
"""

from __future__ import annotations

import time

from sqlalchemy import and_, case, or_, update

from nimbostack.core.errors import Unauthorized
from nimbostack.identity.db.models import User
from nimbostack.identity.state import IdentityState


def _applies(state: IdentityState, user: User) -> bool:
    if not state.conf.security_compliance.lockout_failure_attempts:
        return False
    return not (user.options or {}).get("ignore_lockout_failure_attempts")


async def claim_attempt(state: IdentityState, user: User) -> bool:
    """Count one attempt; Unauthorized if the account is locked.

    Returns False when lockout does not apply (disabled, or the user is exempt).
    """
    if not _applies(state, user):
        return False
    rules = state.conf.security_compliance
    limit = rules.lockout_failure_attempts
    now = time.time()
    lapsed = User.failed_auth_at <= now - rules.lockout_duration
    full = User.failed_auth_count >= limit
    # A lock that has lapsed starts the count again, as Keystone's does.
    stmt = (
        update(User)
        .where(User.id == user.id, or_(~full, User.failed_auth_at.is_(None), lapsed))
        .values(
            failed_auth_count=case((and_(full, lapsed), 1), else_=User.failed_auth_count + 1),
            failed_auth_at=now,
        )
    )
    async with state.db.session() as session:
        result = await session.execute(stmt)
    if not getattr(result, "rowcount", 0):
        raise Unauthorized(f"The account is locked for user: {user.id}.")
    return True


async def clear(state: IdentityState, user: User, claimed: bool, *, active: bool) -> None:
    """The right password was given: forget the failures; note the activity if ``active``."""
    rules = state.conf.security_compliance
    noted = active and bool(rules.disable_user_account_days_inactive)
    if not (claimed or user.failed_auth_count or noted):
        return
    values: dict[str, object] = {"failed_auth_count": 0}
    if active:
        values["last_active_at"] = time.time()
    async with state.db.session() as session:
        await session.execute(update(User).where(User.id == user.id).values(**values))
