"""Issuing and validating tokens, with a cache of validated bodies per data generation."""

from __future__ import annotations

import time
from typing import Any

from nimbostack.core.auth.tokens import TokenInfo
from nimbostack.core.errors import Unauthorized
from nimbostack.identity.db.models import RevocationEvent
from nimbostack.identity.state import IdentityState
from nimbostack.identity.tokens.formats import TokenPayload, seal, unseal
from nimbostack.identity.tokens.render import UNAUTHORIZED, render
from nimbostack.identity.tokens.revoke import is_revoked, load_events


def issue(state: IdentityState, payload: TokenPayload) -> str:
    return seal(payload, state.fernet)


async def _events(state: IdentityState) -> list[RevocationEvent]:
    async def load() -> list[RevocationEvent]:
        conf = state.conf.identity
        horizon = time.time() - conf.token_expiration - conf.allow_expired_window
        async with state.db.reader() as session:
            return await load_events(session, horizon)

    return await state.memo("revocations", "all", load)


async def validate(
    state: IdentityState, token: str, *, catalog: bool = True, allow_expired: bool = False
) -> tuple[TokenPayload, dict[str, Any]]:
    """Check a token end to end; Unauthorized if anything about it no longer holds."""
    payload = unseal(token, state.fernet)
    now = time.time()
    if payload.expires_at <= now:
        window = state.conf.identity.allow_expired_window if allow_expired else 0
        if payload.expires_at + window <= now:
            raise Unauthorized(UNAUTHORIZED)

    idle = state.conf.security_compliance.disable_user_account_days_inactive

    async def check() -> dict[str, Any]:
        events = await _events(state)
        async with state.db.reader() as session:
            body = await render(session, payload, catalog=catalog, days_inactive=idle)
        role_ids = {r["id"] for r in body["token"].get("roles", [])}
        project_domain = body["token"].get("project", {}).get("domain", {}).get("id")
        if is_revoked(payload, events, role_ids, project_domain):
            raise Unauthorized(UNAUTHORIZED)
        return body

    return payload, await state.memo("tokens", (token, catalog), check)


class LocalTokenValidator:
    """Identity's own API validates X-Auth-Token in-process (no REST round trip)."""

    def __init__(self, state: IdentityState) -> None:
        self.state = state

    async def validate(self, token: str) -> TokenInfo:
        async def build() -> TokenInfo:
            _payload, body = await validate(self.state, token, catalog=False)
            return TokenInfo.from_body(body)

        info = await self.state.memo("token_info", token, build)
        if info.expires_at <= time.time():
            raise Unauthorized(UNAUTHORIZED)
        return info
