"""Setting a user's password, with history, age and expiry rules."""

from __future__ import annotations

import time

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from nimbostack.core.config import Config
from nimbostack.core.errors import BadRequest
from nimbostack.identity.db.models import Password
from nimbostack.identity.passwords import (
    check_password_rules,
    expiry_for_new_password,
    hash_password_async,
    verify_password_async,
)


async def current_password(session: AsyncSession, user_id: str) -> Password | None:
    return await session.scalar(
        select(Password)
        .where(Password.user_id == user_id)
        .order_by(Password.created_at.desc(), Password.id.desc())
        .limit(1)
    )


async def set_password(
    session: AsyncSession,
    conf: Config,
    user_id: str,
    secret: str,
    *,
    self_service: bool,
    hashed: str | None = None,
    enforce_rules: bool = True,
) -> None:
    """Store a new password; self-service changes obey history and minimum age.

    An admin setting the password of a user with change_password_upon_first_use
    makes it expire at once, so the user must change it before getting a token.
    """
    rules = conf.security_compliance
    if len(secret) > conf.identity.max_password_length:
        raise BadRequest("Invalid input for field 'password': the password is too long")
    if enforce_rules:
        check_password_rules(secret, rules)
    now = time.time()
    if self_service:
        await _check_history(session, conf, user_id, secret, now)
    expires = expiry_for_new_password(rules, now)
    if not self_service and rules.change_password_upon_first_use:
        expires = now
    if hashed is None:
        hashed = await hash_password_async(secret, conf.identity.password_hash_rounds)
    session.add(
        Password(
            user_id=user_id,
            password_hash=hashed,
            created_at=now,
            expires_at=expires,
            self_service=self_service,
        )
    )


async def _check_history(
    session: AsyncSession, conf: Config, user_id: str, secret: str, now: float
) -> None:
    rules = conf.security_compliance
    current = await current_password(session, user_id)
    too_soon = (
        current is not None
        and rules.minimum_password_age
        and current.self_service
        and now - current.created_at < rules.minimum_password_age * 86400
    )
    if too_soon:
        raise BadRequest(
            "You cannot change your password at this time due to the minimum password "
            f"age. Once you change your password, it must be used for "
            f"{rules.minimum_password_age} day(s) before it can be changed."
        )
    count = int(rules.unique_last_password_count)
    if count <= 1:
        return
    recent = await session.scalars(
        select(Password.password_hash)
        .where(Password.user_id == user_id)
        .order_by(Password.created_at.desc(), Password.id.desc())
        .limit(count)
    )
    for hashed in recent:
        if await verify_password_async(secret, hashed):
            raise BadRequest(
                "The new password cannot be identical to a previous password. The number "
                f"of previous passwords that must be unique is: {count}."
            )
