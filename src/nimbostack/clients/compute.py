"""Compute client: servers, flavors and external events over the Nova v2.1 API."""

from __future__ import annotations

from typing import Any

import httpx

from nimbostack.clients import tls
from nimbostack.clients.identity import Session

DEFAULT_VERSION = "2.96"


class ComputeError(RuntimeError):
    """The compute API refused a request; ``status`` and the Nova fault message say why."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"compute answered {status}: {message}")
        self.status = status
        self.message = message


class ComputeClient:
    """A thin client over one compute endpoint with one token (and an optional service token)."""

    def __init__(
        self,
        session: Session,
        client: httpx.AsyncClient | None = None,
        *,
        version: str = DEFAULT_VERSION,
        service_token: str | None = None,
    ) -> None:
        self.base = session.endpoint("compute")
        self.client = client or httpx.AsyncClient(timeout=60, verify=tls.context())
        self.headers = {
            "X-Auth-Token": session.token,
            "OpenStack-API-Version": f"compute {version}",
        }
        if service_token:
            self.headers["X-Service-Token"] = service_token

    async def _send(self, method: str, path: str, body: Any = None, **params: Any) -> Any:
        resp = await self.client.request(
            method, f"{self.base}{path}", json=body, params=params or None, headers=self.headers
        )
        if resp.status_code >= 400:
            try:
                fault = next(iter(resp.json().values()))
                message = str(fault.get("message", resp.text))
            except (ValueError, StopIteration, AttributeError):
                message = resp.text
            raise ComputeError(resp.status_code, message)
        return resp.json() if resp.content else None

    async def create_server(self, **server: Any) -> dict[str, Any]:
        server.setdefault("networks", "none")
        return dict((await self._send("POST", "/servers", {"server": server}))["server"])

    async def get_server(self, server_id: str) -> dict[str, Any]:
        return dict((await self._send("GET", f"/servers/{server_id}"))["server"])

    async def list_servers(self, **filters: Any) -> list[dict[str, Any]]:
        return list((await self._send("GET", "/servers/detail", **filters))["servers"])

    async def delete_server(self, server_id: str) -> None:
        await self._send("DELETE", f"/servers/{server_id}")

    async def action(self, server_id: str, name: str, body: Any = None) -> Any:
        return await self._send("POST", f"/servers/{server_id}/action", {name: body})

    async def find_flavor(self, name_or_id: str) -> dict[str, Any]:
        for flavor in (await self._send("GET", "/flavors/detail", is_public="none"))["flavors"]:
            if name_or_id in (flavor["id"], flavor["name"]):
                return dict(flavor)
        raise ComputeError(404, f"Flavor {name_or_id} could not be found.")

    async def get_volume_attachment(self, server_id: str, volume_id: str) -> dict[str, Any]:
        """``os-volume_attachments/<volume>`` of a server (ComputeError 404 when none)."""
        path = f"/servers/{server_id}/os-volume_attachments/{volume_id}"
        return dict((await self._send("GET", path))["volumeAttachment"])

    async def send_events(self, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """``os-server-external-events``: each result carries its own ``code``."""
        resp = await self.client.post(
            f"{self.base}/os-server-external-events", json={"events": events}, headers=self.headers
        )
        if resp.status_code not in (200, 207):
            raise ComputeError(resp.status_code, resp.text)
        return list(resp.json()["events"])

    async def close(self) -> None:
        await self.client.aclose()
