"""Compute client: servers and their actions, flavors, keypairs, quotas and the
deployment (hypervisors, services, aggregates) over the Nova v2.1 API."""

from __future__ import annotations

from typing import Any

import httpx

from nimbostack.clients import tls
from nimbostack.clients.identity import Session
from nimbostack.clients.rest import RestClient, RestError

DEFAULT_VERSION = "2.96"
Doc = dict[str, Any]


class ComputeError(RestError):
    """The compute API refused a request; ``status`` and the Nova fault message say why."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(status, message, "compute")


class ComputeClient(RestClient):
    """A thin client over one compute endpoint with one token (and an optional service token)."""

    service = "compute"

    def __init__(
        self,
        session: Session,
        client: httpx.AsyncClient | None = None,
        *,
        version: str = DEFAULT_VERSION,
        service_token: str | None = None,
    ) -> None:
        headers = {"OpenStack-API-Version": f"compute {version}"}
        if service_token:
            headers["X-Service-Token"] = service_token
        super().__init__(
            session.endpoint("compute"),
            session.token,
            client or httpx.AsyncClient(timeout=60, verify=tls.context()),
            headers,
        )

    async def _send(self, method: str, path: str, body: Any = None, **params: Any) -> Any:
        try:
            return await self.call(method, path, json=body, params=params or None)
        except RestError as exc:
            raise ComputeError(exc.status, exc.message) from None

    # -- servers ------------------------------------------------------------------
    async def create_server(self, **server: Any) -> Doc:
        server.setdefault("networks", "none")
        return dict((await self._send("POST", "/servers", {"server": server}))["server"])

    async def get_server(self, server_id: str) -> Doc:
        return dict((await self._send("GET", f"/servers/{server_id}"))["server"])

    async def list_servers(self, **filters: Any) -> list[Doc]:
        return list((await self._send("GET", "/servers/detail", **filters))["servers"])

    async def list_servers_page(self, **filters: Any) -> tuple[list[Doc], bool]:
        """One page of ``/servers/detail`` and whether the API says another follows."""
        body = await self._send("GET", "/servers/detail", **filters)
        more = any(link.get("rel") == "next" for link in body.get("servers_links", []))
        return list(body["servers"]), more

    async def update_server(self, server_id: str, **fields: Any) -> Doc:
        body = await self._send("PUT", f"/servers/{server_id}", {"server": fields})
        return dict(body["server"])

    async def delete_server(self, server_id: str) -> None:
        await self._send("DELETE", f"/servers/{server_id}")

    async def action(self, server_id: str, name: str, body: Any = None) -> Any:
        return await self._send("POST", f"/servers/{server_id}/action", {name: body})

    async def console_output(self, server_id: str, length: int | None = None) -> str:
        body = await self.action(server_id, "os-getConsoleOutput", {"length": length})
        return str(body["output"])

    async def remote_console(self, server_id: str, protocol: str = "vnc") -> Doc:
        body = {"remote_console": {"protocol": protocol, "type": "novnc"}}
        found = await self._send("POST", f"/servers/{server_id}/remote-consoles", body)
        return dict(found["remote_console"])

    async def instance_actions(self, server_id: str) -> list[Doc]:
        body = await self._send("GET", f"/servers/{server_id}/os-instance-actions")
        return list(body["instanceActions"])

    async def instance_action(self, server_id: str, request_id: str) -> Doc:
        path = f"/servers/{server_id}/os-instance-actions/{request_id}"
        return dict((await self._send("GET", path))["instanceAction"])

    async def server_trace(self, server_id: str, request_id: str | None = None) -> Doc:
        """The Nimbostack ``os-trace`` extension: the hops of the server's requests."""
        params = {"request_id": request_id} if request_id else {}
        return dict((await self._send("GET", f"/servers/{server_id}/os-trace", **params))["trace"])

    async def set_metadata(self, server_id: str, metadata: dict[str, str]) -> Doc:
        body = await self._send("POST", f"/servers/{server_id}/metadata", {"metadata": metadata})
        return dict(body["metadata"])

    async def delete_metadata(self, server_id: str, key: str) -> None:
        await self._send("DELETE", f"/servers/{server_id}/metadata/{key}")

    # -- flavors, keypairs, server groups, limits --------------------------------
    async def list_flavors(self, **filters: Any) -> list[Doc]:
        return list((await self._send("GET", "/flavors/detail", **filters))["flavors"])

    async def find_flavor(self, name_or_id: str) -> Doc:
        for flavor in await self.list_flavors(is_public="none"):
            if name_or_id in (flavor["id"], flavor["name"]):
                return dict(flavor)
        raise ComputeError(404, f"Flavor {name_or_id} could not be found.")

    async def create_flavor(self, **flavor: Any) -> Doc:
        return dict((await self._send("POST", "/flavors", {"flavor": flavor}))["flavor"])

    async def delete_flavor(self, flavor_id: str) -> None:
        await self._send("DELETE", f"/flavors/{flavor_id}")

    async def list_keypairs(self) -> list[Doc]:
        body = await self._send("GET", "/os-keypairs")
        return [dict(item["keypair"]) for item in body["keypairs"]]

    async def create_keypair(self, name: str, public_key: str | None = None) -> Doc:
        keypair: Doc = {"name": name, "type": "ssh"}
        if public_key is not None:
            keypair["public_key"] = public_key
        return dict((await self._send("POST", "/os-keypairs", {"keypair": keypair}))["keypair"])

    async def delete_keypair(self, name: str) -> None:
        await self._send("DELETE", f"/os-keypairs/{name}")

    async def list_server_groups(self) -> list[Doc]:
        return list((await self._send("GET", "/os-server-groups"))["server_groups"])

    async def limits(self) -> Doc:
        return dict((await self._send("GET", "/limits"))["limits"]["absolute"])

    async def availability_zones(self) -> list[Doc]:
        return list((await self._send("GET", "/os-availability-zone"))["availabilityZoneInfo"])

    # -- quotas and the deployment (admin) -----------------------------------------
    async def quota_set(self, project_id: str) -> Doc:
        return dict((await self._send("GET", f"/os-quota-sets/{project_id}"))["quota_set"])

    async def update_quota_set(self, project_id: str, **quotas: int) -> Doc:
        body = {"quota_set": quotas}
        return dict((await self._send("PUT", f"/os-quota-sets/{project_id}", body))["quota_set"])

    async def hypervisors(self) -> list[Doc]:
        return list((await self._send("GET", "/os-hypervisors/detail"))["hypervisors"])

    async def services(self) -> list[Doc]:
        return list((await self._send("GET", "/os-services"))["services"])

    async def update_service(self, service_id: str, **fields: Any) -> Doc:
        return dict((await self._send("PUT", f"/os-services/{service_id}", fields))["service"])

    async def aggregates(self) -> list[Doc]:
        return list((await self._send("GET", "/os-aggregates"))["aggregates"])

    async def create_aggregate(self, name: str, zone: str | None = None) -> Doc:
        body = {"aggregate": {"name": name, "availability_zone": zone or None}}
        return dict((await self._send("POST", "/os-aggregates", body))["aggregate"])

    async def aggregate_action(self, aggregate_id: str, name: str, body: Any) -> Doc:
        found = await self._send("POST", f"/os-aggregates/{aggregate_id}/action", {name: body})
        return dict(found["aggregate"])

    async def delete_aggregate(self, aggregate_id: str) -> None:
        await self._send("DELETE", f"/os-aggregates/{aggregate_id}")

    async def get_volume_attachment(self, server_id: str, volume_id: str) -> Doc:
        """``os-volume_attachments/<volume>`` of a server (ComputeError 404 when none)."""
        path = f"/servers/{server_id}/os-volume_attachments/{volume_id}"
        return dict((await self._send("GET", path))["volumeAttachment"])

    async def attach_volume(self, server_id: str, volume_id: str) -> Doc:
        """Attach a volume to a server (``os-volume_attachments``); compute does the rest."""
        body = {"volumeAttachment": {"volumeId": volume_id}}
        path = f"/servers/{server_id}/os-volume_attachments"
        return dict((await self._send("POST", path, body))["volumeAttachment"])

    async def detach_volume(self, server_id: str, volume_id: str) -> None:
        await self._send("DELETE", f"/servers/{server_id}/os-volume_attachments/{volume_id}")

    async def send_events(self, events: list[Doc]) -> list[Doc]:
        """``os-server-external-events``: each result carries its own ``code``."""
        resp = await self.client.post(
            f"{self.base}/os-server-external-events",
            json={"events": events},
            headers=self.headers(),
        )
        if resp.status_code not in (200, 207):
            raise ComputeError(resp.status_code, resp.text)
        return list(resp.json()["events"])

    async def close(self) -> None:
        await self.client.aclose()
