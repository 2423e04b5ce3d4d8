"""``GET /servers/{id}/os-trace``: the recorded hops of a server's requests (a Nimbostack
extension, not in Nova).

Every HTTP and RPC hop of a request records a span (``core.tracing``); compute keeps
those of its requests (``objects.traces``). This endpoint gives them to the server's
owner or an admin, one entry per request, oldest first, so a dashboard can draw a
boot's sequence diagram while it runs. ``?request_id=req-...`` narrows it to one
request. ``nimbostack trace -f json`` prints the same document.

The document (stable; fields are only ever added)::

    {"trace": {"server_id": "...", "requests": [
        {"request_id": "req-...", "trace_id": "...", "start": <epoch s>,
         "duration_ms": 12.5,
         "spans": [{"span_id", "parent_id", "service", "name", "start" (epoch s),
                    "offset_ms", "duration_ms", "depth", "error"}]}]}}
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from starlette.responses import Response

from nimbostack.compute.api.deps import state_of
from nimbostack.compute.api.server_lookup import load_server, target
from nimbostack.compute.objects import traces
from nimbostack.core.api.request import ApiRequest
from nimbostack.core.api.responses import json_response


class SpanRecord(Protocol):
    """What the document needs of a stored span (``TraceSpan`` rows have it)."""

    span_id: str
    trace_id: str
    parent_id: str | None
    name: str
    service: str
    start: float
    end: float
    request_id: str | None
    attributes: dict[str, Any]


def _depth(span: SpanRecord, by_id: dict[str, SpanRecord]) -> int:
    level, parent, seen = 0, span.parent_id, set()
    while parent in by_id and parent not in seen:
        seen.add(parent)
        level += 1
        parent = by_id[parent].parent_id
    return level


def request_document(spans: Sequence[SpanRecord]) -> dict[str, Any]:
    """One request's spans in start order, with offsets from its first span."""
    ordered = sorted(spans, key=lambda s: (s.start, s.end))
    by_id = {s.span_id: s for s in ordered}
    origin = ordered[0].start
    finish = max(s.end for s in ordered)
    return {
        "request_id": next((s.request_id for s in ordered if s.request_id), None),
        "trace_id": ordered[0].trace_id,
        "start": origin,
        "duration_ms": round((finish - origin) * 1000.0, 3),
        "spans": [
            {
                "span_id": s.span_id,
                "parent_id": s.parent_id,
                "service": s.service,
                "name": s.name,
                "start": s.start,
                "offset_ms": round((s.start - origin) * 1000.0, 3),
                "duration_ms": round((s.end - s.start) * 1000.0, 3),
                "depth": _depth(s, by_id),
                "error": s.attributes.get("error"),
            }
            for s in ordered
        ],
    }


def trace_document(server_id: str, spans: Sequence[SpanRecord]) -> dict[str, Any]:
    """The spans split by trace (one per request), oldest request first."""
    groups: dict[str, list[SpanRecord]] = {}
    for span in sorted(spans, key=lambda s: s.start):
        groups.setdefault(span.trace_id, []).append(span)
    requests = [request_document(group) for group in groups.values()]
    return {"trace": {"server_id": server_id, "requests": requests}}


async def show_server_trace(req: ApiRequest) -> Response:
    state = state_of(req)
    instance = await load_server(req, state)
    req.enforce("os_compute_api:os-trace:show", target(instance))
    async with state.db.session() as session:
        spans: list[SpanRecord] = list(await traces.find(session, instance.uuid))
    wanted = req.query.get("request_id")
    if wanted:
        keep = {s.trace_id for s in spans if s.request_id == wanted}
        spans = [s for s in spans if s.trace_id in keep]
    return json_response(trace_document(instance.uuid, spans))
