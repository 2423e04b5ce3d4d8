"""Trace spans kept for `nimbostack trace`: store finished spans, find a boot's hops, prune."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from nimbostack.compute.db.models import Instance, TraceSpan
from nimbostack.core.tracing import Span


def _row(span: Span, instance_uuid: str | None) -> dict[str, Any]:
    return {
        "span_id": span.span_id,
        "trace_id": span.trace_id,
        "parent_id": span.parent_id,
        "name": span.name[:255],
        "service": span.service[:64],
        "start": span.start,
        "end": span.end or span.start,
        "request_id": (span.request_id or "")[:64] or None,
        "instance_uuid": instance_uuid,
        "attributes": {k: v for k, v in span.attributes.items() if _jsonable(v)},
    }


def _jsonable(value: Any) -> bool:
    return isinstance(value, (str, int, float, bool)) or value is None


async def add(session: AsyncSession, spans: Iterable[tuple[Span, str | None]]) -> None:
    """Store spans, each with the instance it concerns (None if unknown)."""
    rows = [_row(span, uuid) for span, uuid in spans]
    if rows:
        await session.run_sync(lambda s: s.bulk_insert_mappings(TraceSpan, rows))


async def find(session: AsyncSession, key: str) -> list[TraceSpan]:
    """Every span of the traces that concern instance ``key`` or request id ``key``."""
    trace_ids = set(
        await session.scalars(
            select(TraceSpan.trace_id).where(
                or_(TraceSpan.instance_uuid == key, TraceSpan.request_id == key)
            )
        )
    )
    if not trace_ids:
        return []
    rows = await session.scalars(
        select(TraceSpan).where(TraceSpan.trace_id.in_(trace_ids)).order_by(TraceSpan.start)
    )
    return list(rows)


async def servers_named(session: AsyncSession, name: str) -> list[str]:
    """The uuids of the live servers called ``name``, newest first (names are not unique)."""
    rows = await session.scalars(
        select(Instance.uuid)
        .where(Instance.display_name == name, Instance.deleted.is_(False))
        .order_by(Instance.created_at.desc())
    )
    return list(rows)


async def prune(session: AsyncSession, before: float) -> int:
    """Delete the spans that ended before ``before`` (epoch seconds); returns how many."""
    result = await session.execute(delete(TraceSpan).where(TraceSpan.end < before))
    return int(getattr(result, "rowcount", 0) or 0)
