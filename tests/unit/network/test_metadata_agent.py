"""The metadata agent's HTTP side: who the guest is, what goes to compute, what comes back.

The lookup is a stub and compute's metadata API an in-memory transport, so each test
sees exactly what the agent sent and answered.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import httpx
import pytest

from nimbostack.core.metadata import sign
from nimbostack.network.agents.metadata.agent import MetadataAgent
from nimbostack.network.agents.metadata.forward import Forwarder
from nimbostack.network.metadata_messages import InstancePort

SECRET = "agent-secret"
NET = "8d9f0a64-5c2b-4d57-9f0e-0c3c9e4d2a10"
INSTANCE = InstancePort("5a0c1d3e-7b0f-4a55-8d0c-1f2e3d4c5b6a", "project-a")


@dataclass
class StubLookup:
    ports: dict[tuple[str | None, str | None, str], InstancePort]
    asked: list[tuple[str | None, str | None, str]] = field(default_factory=list)

    async def find(
        self, ip_address: str, *, network_id: str | None, router_id: str | None
    ) -> InstancePort:
        self.asked.append((network_id, router_id, ip_address))
        return self.ports.get((network_id, router_id, ip_address), InstancePort())


@dataclass
class Compute:
    """Compute's metadata API as the agent sees it: records requests, answers ``reply``."""

    reply: httpx.Response = field(default_factory=lambda: httpx.Response(200, text="{}"))
    seen: list[httpx.Request] = field(default_factory=list)

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        return self.reply


@dataclass
class Setup:
    client: httpx.AsyncClient
    compute: Compute
    lookup: StubLookup


@pytest.fixture
async def setup() -> AsyncIterator[Setup]:
    compute = Compute()
    lookup = StubLookup({(NET, None, "10.0.0.7"): INSTANCE})
    forwarder = Forwarder(
        "http://compute:8775", SECRET, 4096, transport=httpx.MockTransport(compute.handle)
    )
    agent = MetadataAgent(lookup, forwarder)
    transport = httpx.ASGITransport(app=agent.app())
    async with httpx.AsyncClient(transport=transport, base_url="http://agent") as client:
        yield Setup(client, compute, lookup)
    await forwarder.close()


def proxied(client: str = "10.0.0.7", **extra: str) -> dict[str, str]:
    """Headers as haproxy sends them: the namespace's network, the client appended last."""
    return {"X-Neutron-Network-ID": NET, "X-Forwarded-For": client, **extra}


async def test_the_request_goes_to_compute_signed_for_the_instance(setup: Setup) -> None:
    setup.compute.reply = httpx.Response(
        200, json={"uuid": INSTANCE.device_id}, headers={"X-Private": "no"}
    )
    resp = await setup.client.get("/openstack/latest/meta_data.json?x=1", headers=proxied())
    assert resp.status_code == 200 and resp.json() == {"uuid": INSTANCE.device_id}
    assert resp.headers["content-type"] == "application/json"
    assert "x-private" not in resp.headers
    sent = setup.compute.seen[-1]
    assert str(sent.url) == "http://compute:8775/openstack/latest/meta_data.json?x=1"
    assert sent.headers["X-Instance-ID"] == INSTANCE.device_id
    assert sent.headers["X-Tenant-ID"] == INSTANCE.tenant_id
    assert sent.headers["X-Forwarded-For"] == "10.0.0.7"
    assert sent.headers["X-Instance-ID-Signature"] == sign(SECRET, INSTANCE.device_id)


async def test_the_address_haproxy_appended_wins_over_the_guests(setup: Setup) -> None:
    resp = await setup.client.get("/", headers=proxied("10.0.0.99, 10.0.0.7"))
    assert resp.status_code == 200
    assert setup.lookup.asked == [(NET, None, "10.0.0.7")]


async def test_an_address_without_an_instance_is_not_found(setup: Setup) -> None:
    resp = await setup.client.get("/openstack/latest/meta_data.json", headers=proxied("10.0.0.8"))
    assert resp.status_code == 404
    assert setup.compute.seen == []


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Forwarded-For": "10.0.0.7"},
        {"X-Neutron-Network-ID": NET},
        proxied(**{"X-Neutron-Router-ID": "r"}),
    ],
    ids=["no-id", "no-client", "both-ids"],
)
async def test_a_request_not_from_a_proxy_is_refused(setup: Setup, headers: dict[str, str]) -> None:
    resp = await setup.client.get("/openstack/latest/meta_data.json", headers=headers)
    assert resp.status_code == 400
    assert setup.lookup.asked == [] and setup.compute.seen == []


async def test_computes_refusal_is_relayed(setup: Setup) -> None:
    setup.compute.reply = httpx.Response(403, text="forbidden")
    resp = await setup.client.get("/openstack/latest/meta_data.json", headers=proxied())
    assert resp.status_code == 403 and resp.text == "forbidden"


async def test_an_answer_past_the_bound_is_not_relayed(setup: Setup) -> None:
    setup.compute.reply = httpx.Response(200, content=b"x" * 5000)
    resp = await setup.client.get("/openstack/latest/user_data", headers=proxied())
    assert resp.status_code == 502


async def test_a_posted_body_is_forwarded(setup: Setup) -> None:
    headers = proxied(**{"Content-Type": "text/plain"})
    resp = await setup.client.post("/openstack/latest/password", content=b"s", headers=headers)
    assert resp.status_code == 200
    assert setup.compute.seen[-1].content == b"s"
    assert setup.compute.seen[-1].method == "POST"


async def test_a_body_past_the_bound_is_refused_unread(setup: Setup) -> None:
    resp = await setup.client.post(
        "/openstack/latest/password", content=b"x" * 70000, headers=proxied()
    )
    assert resp.status_code == 413
    assert setup.lookup.asked == [] and setup.compute.seen == []
