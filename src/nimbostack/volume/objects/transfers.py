"""Volume transfers: an offer to hand a volume to another project, taken with its key.

The key is shown once, at creation; only a salted PBKDF2 hash of it is stored and it
is compared in constant time. Creating a transfer moves the volume from available to
``awaiting-transfer`` (one conditional UPDATE), so a volume has at most one transfer
and nothing else starts on it meanwhile; accepting moves it (and, unless the transfer
says otherwise, its snapshots) to the new project inside one transaction, after the
destination project's quota check.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
import uuid

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from nimbostack.core.context import RequestContext
from nimbostack.core.errors import BadRequest, NotFound
from nimbostack.volume.db.models import Snapshot, Transfer, Volume

AWAITING_TRANSFER = "awaiting-transfer"
KEY_LENGTH = 16
_ITERATIONS = 10_000


def not_found(transfer_id: str) -> NotFound:
    return NotFound(f"Transfer {transfer_id} could not be found.")


def _hash(salt: str, key: str) -> str:
    digest = hashlib.pbkdf2_hmac("sha256", key.encode(), salt.encode(), _ITERATIONS)
    return digest.hex()


def visible(ctx: RequestContext) -> ColumnElement[bool] | None:
    if ctx.is_admin:
        return None
    return Transfer.source_project_id == (ctx.project_id or "")


async def get(s: AsyncSession, ctx: RequestContext, transfer_id: str) -> Transfer:
    """A transfer the caller offered (or any, for an admin)."""
    stmt = select(Transfer).where(Transfer.id == transfer_id)
    scope = visible(ctx)
    if scope is not None:
        stmt = stmt.where(scope)
    found = await s.scalar(stmt)
    if found is None:
        raise not_found(transfer_id)
    return found


async def create(
    s: AsyncSession, volume: Volume, name: str | None, no_snapshots: bool
) -> tuple[Transfer, str]:
    """The transfer and its key (shown once); the volume must be available."""
    won = await s.execute(
        update(Volume)
        .where(Volume.id == volume.id, Volume.status == "available")
        .values(status=AWAITING_TRANSFER, updated_at=time.time())
        .execution_options(synchronize_session=False)
    )
    if not won.rowcount:  # type: ignore[attr-defined]
        raise BadRequest(
            f"Invalid volume: Status of volume must be available, but is {volume.status}."
        )
    key = secrets.token_hex(KEY_LENGTH // 2)
    salt = secrets.token_hex(8)
    now = time.time()
    transfer = Transfer(
        id=str(uuid.uuid4()),
        volume_id=volume.id,
        name=name,
        salt=salt,
        crypt_hash=_hash(salt, key),
        source_project_id=volume.project_id,
        accepted=False,
        no_snapshots=no_snapshots,
        created_at=now,
        updated_at=now,
    )
    s.add(transfer)
    await s.flush()
    return transfer, key


def key_matches(transfer: Transfer, key: str) -> bool:
    return hmac.compare_digest(_hash(transfer.salt, key), transfer.crypt_hash)


async def release(s: AsyncSession, transfer: Transfer) -> None:
    """Withdraw the offer: the volume is available again."""
    await s.execute(
        update(Volume)
        .where(Volume.id == transfer.volume_id, Volume.status == AWAITING_TRANSFER)
        .values(status="available", updated_at=time.time())
        .execution_options(synchronize_session=False)
    )
    await s.delete(transfer)


async def hand_over(s: AsyncSession, transfer: Transfer, ctx: RequestContext) -> None:
    """Give the volume (and its snapshots, unless excluded) to the caller's project."""
    project = ctx.project_id or ""
    now = time.time()
    await s.execute(
        update(Volume)
        .where(Volume.id == transfer.volume_id)
        .values(project_id=project, user_id=ctx.user_id or "", status="available", updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if not transfer.no_snapshots:
        await s.execute(
            update(Snapshot)
            .where(Snapshot.volume_id == transfer.volume_id)
            .values(project_id=project, user_id=ctx.user_id or "", updated_at=now)
            .execution_options(synchronize_session=False)
        )
    await s.delete(transfer)


async def listing(
    s: AsyncSession, ctx: RequestContext, all_projects: bool, limit: int, marker: str | None
) -> list[Transfer]:
    stmt = select(Transfer).order_by(Transfer.created_at.desc(), Transfer.id.desc())
    scope = (
        None
        if (ctx.is_admin and all_projects)
        else (Transfer.source_project_id == (ctx.project_id or ""))
    )
    if scope is not None:
        stmt = stmt.where(scope)
    if marker:
        mark = await s.scalar(select(Transfer).where(Transfer.id == marker))
        if mark is None:
            raise BadRequest(f"Marker {marker} could not be found.")
        stmt = stmt.where(
            (Transfer.created_at < mark.created_at)
            | ((Transfer.created_at == mark.created_at) & (Transfer.id < mark.id))
        )
    return list((await s.scalars(stmt.limit(limit))).all())
