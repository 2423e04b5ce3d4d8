"""`nimbostack trace <server name | uuid | request id>`: the hops of a request, with timings.

Reads the spans compute keeps in its database (trace_spans) and prints them in start
order, indented under their parent, with the offset from the first span and the
duration: API request, conductor, scheduler, placement, agent, image, driver.
``-f json`` prints the document of compute's ``GET /servers/{id}/os-trace`` instead.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass

from nimbostack.compute.api.server_trace import trace_document
from nimbostack.compute.db.models import TraceSpan
from nimbostack.compute.objects import traces
from nimbostack.core.db import Database
from nimbostack.core.service import Runtime


@dataclass(frozen=True)
class Hop:
    depth: int
    offset_ms: float
    duration_ms: float
    service: str
    name: str


def hops(spans: list[TraceSpan]) -> list[Hop]:
    """Spans as ordered hops, each indented under its parent when the parent is known."""
    if not spans:
        return []
    ordered = sorted(spans, key=lambda s: (s.start, s.end))
    by_id = {s.span_id: s for s in ordered}
    origin = ordered[0].start

    def depth(span: TraceSpan) -> int:
        level, parent, seen = 0, span.parent_id, set()
        while parent in by_id and parent not in seen:
            seen.add(parent)
            level += 1
            parent = by_id[parent].parent_id
        return level

    return [
        Hop(
            depth=depth(s),
            offset_ms=(s.start - origin) * 1000.0,
            duration_ms=(s.end - s.start) * 1000.0,
            service=s.service,
            name=s.name,
        )
        for s in ordered
    ]


def by_trace(spans: list[TraceSpan]) -> list[list[TraceSpan]]:
    """The spans split into their traces (one per request), oldest request first."""
    groups: dict[str, list[TraceSpan]] = {}
    for span in sorted(spans, key=lambda s: s.start):
        groups.setdefault(span.trace_id, []).append(span)
    return list(groups.values())


def render(key: str, found: list[Hop], title: str = "") -> str:
    if not found:
        return f"no trace recorded for {key}"
    width = max(len(h.service) for h in found)
    head = f"trace of {key}{title}: {len(found)} hops"
    lines = [head, f"{'start':>10} {'took':>10}  service"]
    for hop in found:
        indent = "  " * hop.depth
        lines.append(
            f"{hop.offset_ms:8.1f}ms {hop.duration_ms:8.1f}ms  "
            f"{hop.service:<{width}}  {indent}{hop.name}"
        )
    total = max(h.offset_ms + h.duration_ms for h in found)
    lines.append(f"total {total:.1f} ms")
    return "\n".join(lines)


class AmbiguousName(Exception):
    """Several live servers carry the name given."""


async def load(runtime: Runtime, key: str) -> tuple[str, list[list[TraceSpan]]]:
    """The traces of ``key`` and how to title them; a server name is resolved to its uuid."""
    db = Database(runtime.database_url("compute"))
    try:
        async with db.session() as session:
            found = await traces.find(session, key)
            if found:
                return key, by_trace(found)
            named = await traces.servers_named(session, key)
            if len(named) > 1:
                raise AmbiguousName(f"{len(named)} servers are named {key}: give its uuid")
            if not named:
                return key, []
            return f"{key} ({named[0]})", by_trace(await traces.find(session, named[0]))
    finally:
        await db.close()


def json_report(title: str, groups: list[list[TraceSpan]], *, every: bool) -> str:
    """The os-trace document of the first request (or all of them), as JSON text."""
    spans = [span for group in (groups if every else groups[:1]) for span in group]
    server = next((s.instance_uuid for s in spans if s.instance_uuid), None)
    return json.dumps(trace_document(server or title, spans), indent=2)


def report(runtime: Runtime, key: str, *, every: bool = False, fmt: str = "text") -> int:
    """Print the first request of ``key`` (a server's boot), or all of them."""
    try:
        title, groups = asyncio.run(load(runtime, key))
    except AmbiguousName as exc:
        print(exc)
        return 1
    if fmt == "json":
        print(json_report(title, groups, every=every))
        return 0 if groups else 1
    if not groups:
        print(render(key, []))
        return 1
    for spans in groups if every else groups[:1]:
        rid = next((s.request_id for s in spans if s.request_id), "")
        print(render(title, hops(spans), f" (request {rid})" if rid else ""))
    if not every and len(groups) > 1:
        print(f"({len(groups) - 1} later requests on it: --all shows them)")
    return 0
