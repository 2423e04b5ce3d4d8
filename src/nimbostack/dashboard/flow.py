"""The request flow: a request's trace spans laid out as a sequence diagram.

Each span is placed on a lifeline (the process that did the work: compute-api,
conductor, scheduler, placement, agent, image, ...). A span on another lifeline than
its parent's is a message between them, drawn as an arrow; one on the same lifeline
is work inside that process, drawn as a note. RPC sender spans (``rpc.call X``,
``rpc.cast X``) are folded into the arrow of the matching ``rpc.handle X``. Each
arrow carries the number of the architecture's request-flow step it belongs to
(1 login ... 10 the guest runs), its offset from the start and its duration.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

CLIENT = "dashboard"
LIFELINES = (
    ("dashboard", "CLI / dashboard"),
    ("identity", "identity"),
    ("compute-api", "compute-api"),
    ("conductor", "conductor"),
    ("scheduler", "scheduler"),
    ("placement", "placement"),
    ("agent", "agent"),
    ("image", "image"),
    ("network", "network"),
    ("volume", "volume"),
)
_SERVICE_LINES = {
    "compute-conductor": "conductor",
    "compute-scheduler": "scheduler",
    "compute-agent": "agent",
    "compute-api": "compute-api",
    "placement": "placement",
    "image": "image",
    "identity": "identity",
    "dashboard": "dashboard",
}
# Which process handles an RPC message (its name after "rpc.handle ").
_RPC_HANDLERS = {
    "BuildInstances": "conductor",
    "SelectDestinations": "scheduler",
    "BuildAndRunInstance": "agent",
}
_HTTP = ("GET ", "POST ", "PUT ", "PATCH ", "DELETE ", "HEAD ")


@dataclass(frozen=True)
class Hop:
    """One row of the diagram."""

    step: int
    source: str
    target: str
    label: str
    offset_ms: float
    duration_ms: float
    error: str | None = None

    @property
    def is_message(self) -> bool:
        return self.source != self.target


@dataclass
class Flow:
    """A request drawn: its lifelines (in the fixed order) and rows."""

    request_id: str | None
    duration_ms: float
    hops: list[Hop] = field(default_factory=list)

    @property
    def lifelines(self) -> list[tuple[str, str]]:
        return list(LIFELINES)


def lifeline(span: dict[str, Any], parent_line: str | None, children: list[str]) -> str:
    """The process a span ran in, from its service, its name and its neighbours."""
    service = str(span.get("service", ""))
    name = str(span.get("name", ""))
    if service.startswith("network"):
        return "network"
    if service.startswith(("volume", "block-storage")):
        return "volume"
    if service in _SERVICE_LINES:
        return _SERVICE_LINES[service]
    if service == "compute":
        if name.startswith(_HTTP):
            return "compute-api"
        if name.startswith("rpc.handle "):
            message = name.removeprefix("rpc.handle ")
            if message in _RPC_HANDLERS:
                return _RPC_HANDLERS[message]
            return children[0] if children else "conductor"
        return parent_line or "compute-api"
    return parent_line or CLIENT


def _step(line: str, source: str, name: str, agent_started: bool) -> int:
    if name.startswith("driver.") or name.startswith("instance "):
        return 10
    if line == "identity":
        return 3 if source != CLIENT else 1
    if line == "network":
        return 8
    if line == "volume":
        return 9
    if line == "image":
        return 7 if agent_started else 3
    if line == "agent":
        return 5
    if line == "compute-api":
        return 2
    if line in ("conductor", "scheduler", "placement"):
        return 6 if agent_started else 4
    return 2


def _lines(spans: list[dict[str, Any]]) -> dict[str, str]:
    """Each span's lifeline; parents come first (spans are in start order)."""
    by_id = {s["span_id"]: s for s in spans}
    kids: dict[str, list[str]] = {}
    for span in spans:
        kids.setdefault(span.get("parent_id") or "", []).append(span["span_id"])
    lines: dict[str, str] = {}

    def resolve(span: dict[str, Any]) -> str:
        sid = span["span_id"]
        if sid not in lines:
            parent = by_id.get(span.get("parent_id") or "")
            parent_line = resolve(parent) if parent else None
            own = str(span.get("service", ""))
            children = [
                _SERVICE_LINES.get(str(by_id[k].get("service")), "")
                for k in kids.get(sid, [])
                if str(by_id[k].get("service")) != own
            ]
            lines[sid] = lifeline(span, parent_line, [c for c in children if c])
        return lines[sid]

    for span in spans:
        resolve(span)
    return lines


def build(request: dict[str, Any], login_ms: float | None = None) -> Flow:
    """The diagram of one request of the ``os-trace`` document."""
    spans = list(request.get("spans", []))
    flow = Flow(request.get("request_id"), float(request.get("duration_ms", 0.0)))
    if login_ms is not None:
        flow.hops.append(Hop(1, CLIENT, "identity", "POST /v3/auth/tokens (login)", 0.0, login_ms))
    lines = _lines(spans)
    by_id = {s["span_id"]: s for s in spans}
    agent_started = False
    for span in spans:
        name = str(span["name"])
        if name.startswith(("rpc.call ", "rpc.cast ")):
            continue
        parent = by_id.get(span.get("parent_id") or "")
        line = lines[span["span_id"]]
        source = lines[parent["span_id"]] if parent else CLIENT
        if line == "agent":
            agent_started = True
        label = _label(name, parent, by_id)
        flow.hops.append(
            Hop(
                step=_step(line, source, name, agent_started),
                source=source,
                target=line,
                label=label,
                offset_ms=float(span["offset_ms"]),
                duration_ms=float(span["duration_ms"]),
                error=span.get("error"),
            )
        )
    return flow


def _label(name: str, parent: dict[str, Any] | None, by_id: dict[str, Any]) -> str:
    """``rpc.handle X`` reads as the sender saw it: ``call X`` or ``cast X``."""
    if not name.startswith("rpc.handle ") or parent is None:
        return name
    message = name.removeprefix("rpc.handle ")
    sender = str(parent.get("name", ""))
    if sender.startswith("rpc.call "):
        return f"call {message}"
    if sender.startswith("rpc.cast "):
        return f"cast {message}"
    return message


# -- layout for the SVG --------------------------------------------------------------
LANE = 112
TOP = 64
ROW = 30
_INDEX = {key: n for n, (key, _title) in enumerate(LIFELINES)}


def lane_x(line: str) -> float:
    return LANE * _INDEX.get(line, 0) + LANE / 2


@dataclass(frozen=True)
class Placed:
    """A hop with its place in the drawing."""

    hop: Hop
    y: float
    x1: float
    x2: float

    @property
    def text_x(self) -> float:
        return min(self.x1, self.x2) + 6 if self.hop.is_message else self.x1 + 10


def layout(flow: Flow) -> list[Placed]:
    return [
        Placed(hop, TOP + ROW * (n + 1), lane_x(hop.source), lane_x(hop.target))
        for n, hop in enumerate(flow.hops)
    ]


def size(flow: Flow) -> tuple[float, float]:
    """Width and height of the drawing."""
    return LANE * len(LIFELINES), TOP + ROW * (len(flow.hops) + 2)
