"""Timestamps in the ISO 8601 forms OpenStack APIs use."""

from __future__ import annotations

import math
import time
from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)


def iso(ts: float | datetime | None, *, micro: bool = False) -> str | None:
    """``2026-11-21T10:00:00Z`` (or with ``.000000Z`` microseconds, as tokens use)."""
    if ts is None:
        return None
    if isinstance(ts, int | float):
        # The fast path for stored epoch seconds (listings render thousands).
        whole = math.floor(ts)
        micros = round((ts - whole) * 1_000_000)
        if micros == 1_000_000:
            whole, micros = whole + 1, 0
        text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole))
        return f"{text}.{micros:06d}Z" if micro else f"{text}Z"
    dt = ts if isinstance(ts, datetime) else datetime.fromtimestamp(ts, UTC)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    dt = dt.astimezone(UTC)
    if micro:
        return dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(text: str) -> float:
    """Parse an ISO 8601 timestamp (``Z`` or offset, optional fraction) to epoch seconds."""
    value = text.strip().replace("Z", "+00:00")
    dt = datetime.fromisoformat(value)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.timestamp()
