"""Authentication methods of POST /v3/auth/tokens: password, token, application credential."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from nimbostack.core.errors import BadRequest, NotFound, Unauthorized
from nimbostack.identity import lockout
from nimbostack.identity.db.models import ApplicationCredential, Domain, Password, User
from nimbostack.identity.objects.passwords import current_password
from nimbostack.identity.objects.users import is_enabled
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
    """The password method of a login: find the user, check the password. Returns its id."""
    async with state.db.reader() as session:
        user = await _find_user(session, ref)
    password = await check_password(state, user, str(ref.get("password", "")))
    return password.user_id


async def check_password(
    state: IdentityState, user: User | None, secret: str, *, allow_expired: bool = False
) -> Password:
    """Authenticate ``user`` by password, counting the attempt for lockout.

    Every path that takes a password goes through here (a login, a password change),
    so guesses count, and a locked account is refused, whichever path they take. The
    slow hash check runs outside any transaction, so it never holds the database's
    write lock. Returns the password row that matched.
    """
    async with state.db.reader() as session:
        password = await current_password(session, user.id) if user else None
    if user is None or password is None:
        # Unknown users cost the same hash check as known ones.
        await verify_password_async(secret, _dummy_hash(state.conf.identity.password_hash_rounds))
        raise Unauthorized(UNAUTHORIZED)
    claimed = await lockout.claim_attempt(state, user)
    if not await verify_password_async(secret, password.password_hash):
        raise Unauthorized(UNAUTHORIZED)
    enabled = is_enabled(user, state.conf.security_compliance.disable_user_account_days_inactive)
    # Only an enabled user's sign-in is activity: an idle user stays disabled.
    await lockout.clear(state, user, claimed, active=enabled)
    if not enabled:
        raise Unauthorized(UNAUTHORIZED)
    expired = password.expires_at is not None and password.expires_at <= time.time()
    if expired and not allow_expired:
        raise Unauthorized(f"The password is expired and needs to be changed for user: {user.id}.")
    return password


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
