"""Compute with networking in-process: servers created through the compute API get ports.

On top of ``FlowCloud`` (conductor, scheduler, fake agents, placement) this runs the
compute API app and the networking app, each on an in-memory HTTP transport, with one
set of stub tokens both services accept (the compute suite's callers, plus "service"),
the networking RPC endpoint and a fake L2 agent per compute host on the same bus.
Networking tells compute ``network-vif-plugged`` through the real external-events API.
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

import httpx

from nimbostack.clients.identity import Session, SessionSource
from nimbostack.clients.network import NetworkClient
from nimbostack.compute import policies as compute_policies
from nimbostack.compute.credentials import StaticAuth
from nimbostack.compute.db.models import Instance
from nimbostack.compute.objects.flavors import ensure_default_flavors
from nimbostack.compute.service import API as COMPUTE_API
from nimbostack.core.auth.policy import Enforcer
from nimbostack.core.auth.tokens import TokenInfo
from nimbostack.core.db.engine import sqlite_url
from nimbostack.core.errors import Unauthorized
from nimbostack.core.rpc import RpcServer
from nimbostack.core.service import api_app
from nimbostack.network.agent_messages import PLUGIN, AgentConfiguration
from nimbostack.network.agents.fake import FakeL2Agent
from nimbostack.network.compute_events import ComputeVifEvents
from nimbostack.network.plugin_rpc import AgentNotifier, PluginEndpoint
from nimbostack.network.service import API as NETWORK_API
from nimbostack.network.state import NetworkState
from tests.functional.compute.api_support import CALLERS, GUEST, FakeImages
from tests.functional.compute.flow_support import FlowCloud
from tests.functional.network.conftest import make_state as make_network_state

CALLERS_AND_SERVICE = {**CALLERS, "service": ("service-p", ("admin", "service"))}


def _endpoint(kind: str, url: str) -> dict[str, Any]:
    return {"type": kind, "endpoints": [{"interface": "public", "url": url}]}


CATALOG = [
    _endpoint("placement", "http://placement"),
    _endpoint("network", "http://network"),
    _endpoint("compute", "http://compute/v2.1"),
    _endpoint("image", "http://image.test"),
]


class Validator:
    async def validate(self, token: str) -> TokenInfo:
        if token not in CALLERS_AND_SERVICE:
            raise Unauthorized("The request you have made requires authentication.")
        project, roles = CALLERS_AND_SERVICE[token]
        return TokenInfo(
            user_id=f"{token}-id",
            user_name=token,
            user_domain_id="default",
            expires_at=time.time() + 3600,
            roles=roles,
            project_id=project,
            project_name=project,
        )


class SharedNetworkClient(NetworkClient):
    """A networking client on the test's transport, which its close() leaves open."""

    async def close(self) -> None:
        return None


class NetworkedCloud:
    """The compute API, its control plane and hosts, and networking, in one process."""

    def __init__(self, tmp: Path, **compute: Any) -> None:
        self.tmp = tmp
        self.flow = FlowCloud(tmp, **compute)
        self.agents: dict[str, FakeL2Agent] = {}
        self.rpc_servers: list[RpcServer] = []

    async def start(self, hosts: tuple[str, ...] = ("host1",), device_delay: float = 0.0) -> None:
        flow = self.flow
        await flow.start()
        await ensure_default_flavors(flow.state.db)
        self.network = await make_network_state(sqlite_url(self.tmp / "network.sqlite"))
        net_app = api_app(
            NETWORK_API, self.network, validator=Validator(), enforcer=self.network.enforcer
        )
        self.network_http = httpx.AsyncClient(transport=httpx.ASGITransport(app=net_app))
        enforcer = Enforcer(compute_policies.rules())
        compute_app = api_app(COMPUTE_API, flow.state, validator=Validator(), enforcer=enforcer)
        self.compute_http = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=compute_app), base_url="http://compute"
        )
        flow.state.auth = StaticAuth(Session("service", CATALOG))
        flow.state.network_client = self.network_client
        flow.state.image_client = FakeImages().client
        await self._serve_network(device_delay)
        for host in hosts:
            await self.add_host(host, device_delay)

    def network_client(self, auth: SessionSource) -> NetworkClient:
        return SharedNetworkClient(auth, self.network_http)

    async def _serve_network(self, device_delay: float) -> None:
        state: NetworkState = self.network
        events = ComputeVifEvents(StaticAuth(Session("service", CATALOG)), self.compute_http)
        state.agents = AgentNotifier(self.flow.transport)
        state.vif_events = events
        endpoint = PluginEndpoint(state.db, state.agent_down_time, events)
        server = RpcServer(self.flow.transport, PLUGIN, endpoint, service="network-server")
        await server.start()
        self.rpc_servers.append(server)

    async def add_host(
        self, host: str, device_delay: float = 0.0, *, l2_agent: bool = True, **size: int
    ) -> None:
        """A compute host, with a fake L2 agent unless ``l2_agent`` is false."""
        if l2_agent:
            config = AgentConfiguration(tunnel_types=["vxlan"])
            agent = FakeL2Agent(
                self.flow.transport, host, config, report_interval=3600, device_delay=device_delay
            )
            await agent.start()
            self.agents[host] = agent
        service = StaticAuth(Session("service", CATALOG))
        await self.flow.add_host(host, network=lambda: self.network_client(service), **size)

    async def stop(self) -> None:
        for agent in self.agents.values():
            await agent.stop()
        for server in self.rpc_servers:
            await server.stop()
        await self.flow.stop()
        await self.network.db.close()
        await self.network_http.aclose()
        await self.compute_http.aclose()

    # -- calling the two APIs ---------------------------------------------------------
    async def compute(
        self, method: str, path: str, body: Any = None, *, token: str = "alice"
    ) -> httpx.Response:
        headers = {"X-Auth-Token": token, "OpenStack-API-Version": "compute 2.96"}
        return await self.compute_http.request(method, f"/v2.1{path}", json=body, headers=headers)

    async def neutron(
        self, method: str, path: str, body: Any = None, *, token: str = "alice", **params: Any
    ) -> httpx.Response:
        return await self.network_http.request(
            method,
            f"http://network/v2.0{path}",
            json=body,
            headers={"X-Auth-Token": token},
            params=params or None,
        )

    async def create(self, kind: str, plural: str, token: str = "alice", **fields: Any) -> Any:
        resp = await self.neutron("POST", f"/{plural}", {kind: fields}, token=token)
        assert resp.status_code == 201, resp.text
        return resp.json()[kind]

    async def private_network(self, token: str = "alice", cidr: str = "10.0.0.0/24") -> Any:
        net = await self.create("network", "networks", token, name=f"net-{uuid.uuid4().hex[:4]}")
        await self.create("subnet", "subnets", token, network_id=net["id"], cidr=cidr, ip_version=4)
        return net

    async def create_server(self, networks: Any, token: str = "alice", **extra: Any) -> Any:
        body = {"name": "vm", "imageRef": GUEST, "flavorRef": "42", "networks": networks, **extra}
        return await self.compute("POST", "/servers", {"server": body}, token=token)

    async def server(self, server_id: str, token: str = "alice") -> dict[str, Any]:
        resp = await self.compute("GET", f"/servers/{server_id}", token=token)
        assert resp.status_code == 200, resp.text
        found: dict[str, Any] = resp.json()["server"]
        return found

    async def ports_of(self, server_id: str) -> list[dict[str, Any]]:
        resp = await self.neutron("GET", "/ports", token="admin", device_id=server_id)
        found: list[dict[str, Any]] = resp.json()["ports"]
        return found

    async def instance(self, server_id: str) -> Instance:
        return await self.flow.instance(server_id)
