"""Revocation events: recording them, and checking a token against them."""

from __future__ import annotations

import time

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from nimbostack.identity.db.models import RevocationEvent
from nimbostack.identity.tokens.formats import TokenPayload


async def revoke(
    session: AsyncSession,
    *,
    user_id: str | None = None,
    project_id: str | None = None,
    domain_id: str | None = None,
    role_id: str | None = None,
    audit_id: str | None = None,
    audit_chain_id: str | None = None,
    app_cred_id: str | None = None,
) -> None:
    """Revoke every token issued until now that matches all the given fields.

    Callers must also call ``IdentityState.changed()`` after commit so that this
    process's caches see the event at once.
    """
    now = time.time()
    session.add(
        RevocationEvent(
            user_id=user_id,
            project_id=project_id,
            domain_id=domain_id,
            role_id=role_id,
            audit_id=audit_id,
            audit_chain_id=audit_chain_id,
            app_cred_id=app_cred_id,
            issued_before=now,
            revoked_at=now,
        )
    )


async def load_events(session: AsyncSession, newer_than: float) -> list[RevocationEvent]:
    """Events that can still match a live token (revoked after ``newer_than``)."""
    rows = await session.scalars(
        select(RevocationEvent).where(RevocationEvent.revoked_at >= newer_than)
    )
    return list(rows)


def is_revoked(
    payload: TokenPayload,
    events: list[RevocationEvent],
    role_ids: set[str],
    project_domain_id: str | None,
) -> bool:
    """True when any event matches the token (every non-null field of it must match)."""
    for event in events:
        if payload.issued_at > event.issued_before:
            continue
        if event.user_id and event.user_id != payload.user_id:
            continue
        if event.project_id and event.project_id != payload.project_id:
            continue
        if event.domain_id and event.domain_id not in (payload.domain_id, project_domain_id):
            continue
        if event.role_id and event.role_id not in role_ids:
            continue
        if event.audit_id and event.audit_id != payload.audit_ids[0]:
            continue
        if event.audit_chain_id and event.audit_chain_id != payload.audit_chain_id:
            continue
        if event.app_cred_id and event.app_cred_id != payload.app_cred_id:
            continue
        return True
    return False
