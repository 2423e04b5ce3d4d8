"""Trace contexts: the W3C sampled flag, and work that is not traced."""

from __future__ import annotations

import uuid

from nimbostack.core import tracing

TRACE, SPAN = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"


def test_the_sampled_flag_travels_in_traceparent() -> None:
    sampled = tracing.SpanContext.parse(f"00-{TRACE}-{SPAN}-01")
    assert sampled is not None and sampled.sampled
    assert sampled.traceparent().endswith("-01")
    unsampled = tracing.SpanContext.parse(f"00-{TRACE}-{SPAN}-00")
    assert unsampled is not None and not unsampled.sampled
    assert unsampled.traceparent() == f"00-{TRACE}-{SPAN}-00"
    assert tracing.SpanContext.parse(f"00-{TRACE}-{SPAN}-zz") is None


def test_spans_of_unsampled_work_are_recorded_nowhere() -> None:
    names = [f"{kind}-{uuid.uuid4().hex}" for kind in ("periodic", "inner", "asked")]
    with (
        tracing.unsampled(),
        tracing.span(names[0], service="test") as outer,
        tracing.span(names[1], service="test") as inner,
    ):
        assert not inner.sampled and inner.trace_id == outer.trace_id
        current = tracing.current()
        assert current is not None and current.traceparent().endswith("-00")
    with tracing.span(names[2], service="test"):
        pass
    recorded = {span.name for span in tracing.recent_spans()}
    assert names[0] not in recorded and names[1] not in recorded
    assert names[2] in recorded
