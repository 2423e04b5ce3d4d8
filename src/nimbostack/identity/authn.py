"""Authentication methods of POST /v3/auth/tokens: password, token, application credential."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from nimbostack.core.errors import BadRequest, NotFound, Unauthorized
from nimbostack.identity.db.models import ApplicationCredential, Domain, User
from nimbostack.identity.objects.passwords import current_password
from nimbostack.identity.passwords import hash_password, verify_password_async
from nimbostack.identity.state import IdentityState
from nimbostack.identity.tokens import provider
from nimbostack.identity.tokens.formats import TokenPayload, unseal

UNAUTHORIZED = "The request you have made requires authentication."


@lru_cache(maxsize=4)
def _dummy_hash(rounds: int) -> str:
    """A real hash of a random secret, so unknown users cost as much as known ones."""
    return hash_password(os.urandom(16).hex(), rounds)


@dataclass
class Authenticated:
    """Who authenticated, how, and what the new token inherits."""

    user_id: str
    methods: tuple[str, ...]
    expires_at: float | None = None
    parent: TokenPayload | None = None
    app_cred: ApplicationCredential | None = None


async def find_domain(session: AsyncSession, ref: dict[str, Any]) -> Domain:
    if "id" in ref:
        domain = await session.get(Domain, ref["id"])
    elif "name" in ref:
        domain = await session.scalar(select(Domain).where(Domain.name == ref["name"]))
    else:
        raise BadRequest("Invalid input for field 'domain': an id or a name is required")
    if domain is None or not domain.enabled:
        raise Unauthorized(UNAUTHORIZED)
    return domain


async def _find_user(session: AsyncSession, ref: dict[str, Any]) -> User | None:
    if "id" in ref:
        return await session.get(User, ref["id"])
    if "name" not in ref or "domain" not in ref:
        raise BadRequest(
            "Invalid input for field 'user': an id, or a name and a domain is required"
        )
    domain = await find_domain(session, ref["domain"])
    return await session.scalar(
        select(User).where(User.name == ref["name"], User.domain_id == domain.id)
    )


async def by_password(state: IdentityState, ref: dict[str, Any]) -> str:
    """Check a password; count failures for lockout. Returns the user id.

    The slow hash check runs outside any transaction, so logins never hold the
    database's write lock while bcrypt works.
    """
    rules = state.conf.security_compliance
    async with state.db.reader() as session:
        user = await _find_user(session, ref)
        password = await current_password(session, user.id) if user else None
    ok = await verify_password_async(
        str(ref.get("password", "")),
        password.password_hash
        if password
        else _dummy_hash(state.conf.identity.password_hash_rounds),
    )
    if user is None or password is None:
        raise Unauthorized(UNAUTHORIZED)
    now = time.time()
    locked = (
        rules.lockout_failure_attempts
        and user.failed_auth_count >= rules.lockout_failure_attempts
        and user.failed_auth_at is not None
        and now - user.failed_auth_at < rules.lockout_duration
    )
    if locked:
        raise Unauthorized(f"The account is locked for user: {user.id}.")
    if not ok:
        raise PasswordMismatch(user.id)
    if not user.enabled:
        raise Unauthorized(UNAUTHORIZED)
    if password.expires_at is not None and password.expires_at <= now:
        raise Unauthorized(f"The password is expired and needs to be changed for user: {user.id}.")
    if user.failed_auth_count or rules.disable_user_account_days_inactive:
        async with state.db.session() as session:
            await session.execute(
                update(User)
                .where(User.id == user.id)
                .values(failed_auth_count=0, last_active_at=now)
            )
    return user.id


class PasswordMismatch(Unauthorized):
    """A known user gave a wrong password; the caller records it for lockout."""

    def __init__(self, user_id: str) -> None:
        super().__init__(UNAUTHORIZED)
        self.user_id = user_id


async def record_failure(state: IdentityState, user_id: str) -> None:
    """Count a failed password in its own transaction (the request's is rolled back)."""
    now = time.time()
    async with state.db.session() as session:
        await session.execute(
            update(User)
            .where(User.id == user_id)
            .values(failed_auth_count=User.failed_auth_count + 1, failed_auth_at=now)
        )


async def by_token(state: IdentityState, token: str) -> Authenticated:
    """Rescope a token. A well-formed token that no longer validates (revoked, expired,
    its user disabled) is a 404, as Keystone answers; a malformed one stays a 401."""
    unseal(token, state.fernet)
    try:
        payload, _body = await provider.validate(state, token, catalog=False)
    except Unauthorized:
        raise NotFound(f"Could not find token: {token[:12]}….") from None
    if payload.app_cred_id:
        raise Unauthorized("A token from an application credential cannot be rescoped.")
    return Authenticated(
        user_id=payload.user_id,
        methods=tuple(dict.fromkeys((*payload.methods, "token"))),
        expires_at=payload.expires_at,
        parent=payload,
    )


async def by_app_cred(state: IdentityState, ref: dict[str, Any]) -> Authenticated:
    async with state.db.reader() as session:
        return await _by_app_cred(state, session, ref)


async def _by_app_cred(
    state: IdentityState, session: AsyncSession, ref: dict[str, Any]
) -> Authenticated:
    secret = str(ref.get("secret", ""))
    if "id" in ref:
        acred = await session.get(ApplicationCredential, ref["id"])
    elif "name" in ref and "user" in ref:
        user = await _find_user(session, ref["user"])
        acred = (
            None
            if user is None
            else await session.scalar(
                select(ApplicationCredential).where(
                    ApplicationCredential.user_id == user.id,
                    ApplicationCredential.name == ref["name"],
                )
            )
        )
    else:
        raise BadRequest(
            "Invalid input for field 'application_credential': an id, or a name and a user "
            "is required"
        )
    ok = await verify_password_async(
        secret,
        acred.secret_hash if acred else _dummy_hash(state.conf.identity.password_hash_rounds),
    )
    if acred is None or not ok:
        raise Unauthorized(UNAUTHORIZED)
    if acred.expires_at is not None and acred.expires_at <= time.time():
        raise Unauthorized(UNAUTHORIZED)
    return Authenticated(
        user_id=acred.user_id,
        methods=("application_credential",),
        expires_at=acred.expires_at,
        app_cred=acred,
    )
