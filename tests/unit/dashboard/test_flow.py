"""The request flow: spans placed on lifelines, RPC senders folded, steps numbered."""

from __future__ import annotations

from typing import Any

from nimbostack.dashboard import flow


def _span(sid: str, parent: str | None, name: str, service: str, at: float) -> dict[str, Any]:
    return {"span_id": sid, "parent_id": parent, "name": name, "service": service,
            "offset_ms": at, "duration_ms": 1.0, "depth": 0, "error": None}  # fmt: skip


# The shape of a real boot (fake driver), as compute's os-trace gives it.
BOOT = {
    "request_id": "req-1",
    "duration_ms": 1400.0,
    "spans": [
        _span("a", None, "POST /v2.1/servers", "compute", 0),
        _span("b", "a", "GET /v2/images/{image_id}", "image", 455),
        _span("c", "a", "rpc.cast BuildInstances", "compute", 575),
        _span("d", "c", "rpc.handle BuildInstances", "compute", 592),
        _span("e", "d", "conductor.build_instances", "compute-conductor", 593),
        _span("f", "e", "rpc.call SelectDestinations", "compute", 593),
        _span("g", "f", "rpc.handle SelectDestinations", "compute", 594),
        _span("h", "g", "scheduler.select_destinations", "compute-scheduler", 594),
        _span("i", "h", "GET /allocation_candidates", "placement", 608),
        _span("j", "e", "rpc.cast BuildAndRunInstance", "compute", 1258),
        _span("k", "j", "rpc.handle BuildAndRunInstance", "compute-agent", 1258),
        _span("l", "k", "agent.build_and_run_instance", "compute-agent", 1259),
        _span("m", "l", "rpc.call UpdateInstance", "compute", 1259),
        _span("n", "m", "rpc.handle UpdateInstance", "compute", 1259),
        _span("o", "l", "driver.spawn", "compute-agent", 1295),
    ],
}


def _rows(drawn: flow.Flow) -> list[tuple[int, str, str, str]]:
    return [(h.step, h.source, h.target, h.label) for h in drawn.hops]


def test_a_boot_reads_as_the_seeds_request_flow() -> None:
    assert _rows(flow.build(BOOT, login_ms=40.0)) == [
        (1, "dashboard", "identity", "POST /v3/auth/tokens (login)"),
        (2, "dashboard", "compute-api", "POST /v2.1/servers"),
        (3, "compute-api", "image", "GET /v2/images/{image_id}"),
        (4, "compute-api", "conductor", "cast BuildInstances"),
        (4, "conductor", "conductor", "conductor.build_instances"),
        (4, "conductor", "scheduler", "call SelectDestinations"),
        (4, "scheduler", "scheduler", "scheduler.select_destinations"),
        (4, "scheduler", "placement", "GET /allocation_candidates"),
        (5, "conductor", "agent", "cast BuildAndRunInstance"),
        (5, "agent", "agent", "agent.build_and_run_instance"),
        (6, "agent", "conductor", "call UpdateInstance"),
        (10, "agent", "agent", "driver.spawn"),
    ]


def test_no_login_hop_for_later_requests_and_unknown_services_stay_with_their_parent() -> None:
    request = {"spans": [_span("a", None, "POST /v2.1/servers/x/action", "compute", 0),
                         _span("b", "a", "mystery", "elsewhere", 1)]}  # fmt: skip
    drawn = flow.build(request)
    assert _rows(drawn) == [(2, "dashboard", "compute-api", "POST /v2.1/servers/x/action"),
                            (2, "compute-api", "compute-api", "mystery")]  # fmt: skip


def test_network_and_volume_spans_get_their_lifelines() -> None:
    request = {"spans": [_span("a", None, "agent.build", "compute-agent", 0),
                         _span("b", "a", "POST /v2.0/ports", "network-server", 1),
                         _span("c", "a", "GET /v3/volumes", "volume-api", 2)]}  # fmt: skip
    found = [(h.step, h.target) for h in flow.build(request).hops]
    assert found[1:] == [(8, "network"), (9, "volume")]


def test_layout_gives_each_hop_a_row_between_its_lifelines() -> None:
    drawn = flow.build(BOOT)
    placed = flow.layout(drawn)
    assert [p.y for p in placed] == sorted({p.y for p in placed})
    assert placed[0].x1 == flow.lane_x("dashboard") and placed[0].x2 == flow.lane_x("compute-api")
    width, height = flow.size(drawn)
    assert width == flow.LANE * len(flow.LIFELINES) and height > placed[-1].y
