"""Trace context and span records: follow one user request across HTTP and RPC hops.

Uses the W3C ``traceparent`` header format so other tools can read it. Spans are kept
in a bounded in-memory ring per process and can be exported to a sink (for example
the database of the service that owns the trace view).

Work nobody asked for (heartbeats, periodic syncs) runs under ``unsampled()``: its
spans are recorded nowhere, and the traceparent's "sampled" flag (``-00``) carries
that decision to the other processes it reaches.
"""

from __future__ import annotations

import contextvars
import os
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

_current: contextvars.ContextVar[SpanContext | None] = contextvars.ContextVar(
    "nimbostack_span", default=None
)


@dataclass(frozen=True)
class SpanContext:
    """The identifiers that travel between processes."""

    trace_id: str
    span_id: str
    request_id: str | None = None
    sampled: bool = True

    def traceparent(self) -> str:
        return f"00-{self.trace_id}-{self.span_id}-{'01' if self.sampled else '00'}"

    @classmethod
    def parse(cls, header: str | None, request_id: str | None = None) -> SpanContext | None:
        if not header:
            return None
        parts = header.strip().split("-")
        if len(parts) != 4 or len(parts[1]) != 32 or len(parts[2]) != 16:
            return None
        try:
            int(parts[1], 16)
            int(parts[2], 16)
            flags = int(parts[3], 16)
        except ValueError:
            return None
        return cls(parts[1], parts[2], request_id, sampled=bool(flags & 1))


@dataclass
class Span:
    """One timed hop: an HTTP request, an RPC call or cast, or a unit of work."""

    trace_id: str
    span_id: str
    parent_id: str | None
    name: str
    service: str
    start: float
    end: float | None = None
    request_id: str | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    sampled: bool = True

    def context(self) -> SpanContext:
        """The identifiers a child of this span (here or in another process) gets."""
        return SpanContext(self.trace_id, self.span_id, self.request_id, self.sampled)

    @property
    def duration_ms(self) -> float:
        return ((self.end or time.time()) - self.start) * 1000.0


SpanSink = Callable[[Span], None]
_ring: deque[Span] = deque(maxlen=20000)
_sinks: list[SpanSink] = []


def add_sink(sink: SpanSink) -> None:
    """Register a callable that receives every finished span."""
    _sinks.append(sink)


def recent_spans() -> list[Span]:
    return list(_ring)


def _new_id(nbytes: int) -> str:
    return os.urandom(nbytes).hex()


def current() -> SpanContext | None:
    return _current.get()


def set_current(ctx: SpanContext | None) -> contextvars.Token[SpanContext | None]:
    return _current.set(ctx)


@contextmanager
def unsampled() -> Iterator[None]:
    """Run a block (periodic work) in a trace of its own that no span of it is kept for."""
    token = _current.set(SpanContext(_new_id(16), _new_id(8), sampled=False))
    try:
        yield
    finally:
        _current.reset(token)


@contextmanager
def span(
    name: str,
    service: str,
    *,
    parent: SpanContext | None = None,
    request_id: str | None = None,
    **attributes: Any,
) -> Iterator[Span]:
    """Record a span around a block; it becomes the current span inside it."""
    parent = parent or _current.get()
    trace_id = parent.trace_id if parent else _new_id(16)
    rid = request_id or (parent.request_id if parent else None)
    record = Span(
        trace_id=trace_id,
        span_id=_new_id(8),
        parent_id=parent.span_id if parent else None,
        name=name,
        service=service,
        start=time.time(),
        request_id=rid,
        attributes=dict(attributes),
        sampled=parent.sampled if parent else True,
    )
    token = _current.set(record.context())
    try:
        yield record
    except BaseException as exc:
        record.attributes["error"] = type(exc).__name__
        raise
    finally:
        record.end = time.time()
        _current.reset(token)
        if record.sampled:
            _ring.append(record)
            for sink in _sinks:
                sink(record)
