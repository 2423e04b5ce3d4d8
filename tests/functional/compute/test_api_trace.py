"""``GET /servers/{id}/os-trace``: the owner's (or an admin's) view of a server's hops."""

from __future__ import annotations

import time

from nimbostack.compute.objects import traces
from nimbostack.core.tracing import Span
from tests.functional.compute.api_support import Compute, api

__all__ = ["api"]


def _span(*fields: object, took: float, rid: str | None = None) -> Span:
    """A finished span from (trace, id, parent, name, service, start)."""
    trace, sid, parent, name, service, at = fields
    assert isinstance(at, float)
    return Span(str(trace), str(sid), parent and str(parent), str(name), str(service), at,
                at + took, rid)  # fmt: skip


async def _record(api: Compute, uuid: str) -> float:
    now = time.time()
    boot = "a" * 32
    later = "b" * 32
    spans = [
        _span(boot, "1" * 16, None, "POST /v2.1/servers", "compute", now, took=0.05,
              rid="req-boot"),
        _span(boot, "2" * 16, "1" * 16, "rpc.cast BuildInstances", "compute", now + 0.04,
              took=0.001),
        _span(boot, "3" * 16, "2" * 16, "conductor.build_instances", "compute-conductor",
              now + 0.06, took=0.1),
        _span(later, "4" * 16, None, "POST /v2.1/servers/x/action", "compute", now + 5,
              took=0.02, rid="req-pause"),
    ]  # fmt: skip
    async with api.state.db.session() as s:
        await traces.add(s, [(span, uuid) for span in spans])
    return now


async def test_owner_sees_each_request_with_offsets_and_depths(api: Compute) -> None:
    uuid = await api.active()
    now = await _record(api, uuid)
    resp = await api.call("GET", f"/servers/{uuid}/os-trace")
    assert resp.status_code == 200, resp.text
    doc = resp.json()["trace"]
    assert doc["server_id"] == uuid
    boot, pause = doc["requests"]
    assert (boot["request_id"], pause["request_id"]) == ("req-boot", "req-pause")
    assert boot["start"] == now and round(boot["duration_ms"]) == 160
    names = [(s["name"], s["depth"], round(s["offset_ms"])) for s in boot["spans"]]
    assert names == [("POST /v2.1/servers", 0, 0), ("rpc.cast BuildInstances", 1, 40),
                     ("conductor.build_instances", 2, 60)]  # fmt: skip
    only = await api.call("GET", f"/servers/{uuid}/os-trace", params={"request_id": "req-pause"})
    assert [r["request_id"] for r in only.json()["trace"]["requests"]] == ["req-pause"]


async def test_other_projects_get_404_and_admins_see_it(api: Compute) -> None:
    uuid = await api.active()
    await _record(api, uuid)
    hidden = await api.call("GET", f"/servers/{uuid}/os-trace", token="bob")
    assert hidden.status_code == 404
    assert f"Instance {uuid} could not be found." in hidden.text
    admin = await api.call("GET", f"/servers/{uuid}/os-trace", token="admin")
    assert admin.status_code == 200 and len(admin.json()["trace"]["requests"]) == 2


async def test_a_server_without_spans_has_no_requests(api: Compute) -> None:
    uuid = await api.active()
    resp = await api.call("GET", f"/servers/{uuid}/os-trace")
    assert resp.json() == {"trace": {"server_id": uuid, "requests": []}}
