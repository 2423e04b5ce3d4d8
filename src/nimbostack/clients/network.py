"""Networking client: networks, subnets, pools, ports, routers, security groups (Neutron v2.0).

Compute uses it to make and bind the ports of servers; ``nimbostack up`` to build its
topology. Lists follow the ``<resources>_links`` next links, so a caller gets every
item however the server pages. Failures raise ``NetworkError`` with Neutron's error
type (``PortNotFound``, ``IpAddressGenerationFailure``...).
"""

from __future__ import annotations

from typing import Any

import httpx

from nimbostack.clients.headers import trace_headers
from nimbostack.clients.identity import SessionSource

Params = dict[str, str | int | bool | list[str]]


class NetworkError(Exception):
    """The networking service refused a request: its status, Neutron error type and message."""

    def __init__(self, status: int, kind: str, message: str) -> None:
        super().__init__(f"network answered {status} {kind}: {message}")
        self.status = status
        self.kind = kind
        self.message = message


def _error(resp: httpx.Response) -> NetworkError:
    try:
        body = resp.json()["NeutronError"]
        return NetworkError(resp.status_code, str(body["type"]), str(body["message"]))
    except (ValueError, KeyError, TypeError):
        return NetworkError(resp.status_code, "", resp.text[:200])


def _query(filters: Params) -> list[tuple[str, str]]:
    """Query pairs; a list value repeats its key (Neutron matches any of them)."""
    pairs: list[tuple[str, str]] = []
    for key, value in filters.items():
        values = value if isinstance(value, list) else [value]
        pairs.extend((key, str(v).lower() if isinstance(v, bool) else str(v)) for v in values)
    return pairs


class NetworkClient:
    """Talks to the network endpoint of the catalog (or ``base``) with the auth's token."""

    def __init__(
        self, auth: SessionSource, client: httpx.AsyncClient | None = None, base: str | None = None
    ) -> None:
        self.auth = auth
        self.client = client or httpx.AsyncClient(timeout=60)
        self._base = base

    async def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Any = None,
        extra_headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        """One request to ``/v2.0<path>``; a 401 renews the token once."""
        for attempt in range(2):
            session = await self.auth.session()
            base = (self._base or session.endpoint("network")).rstrip("/")
            headers = {"X-Auth-Token": session.token, **trace_headers(), **(extra_headers or {})}
            url = path if path.startswith("http") else f"{base}/v2.0{path}"
            resp = await self.client.request(method, url, json=json, params=params, headers=headers)
            if resp.status_code != 401 or attempt:
                return resp
            self.auth.invalidate()
        raise AssertionError("unreachable")

    async def _ok(self, method: str, path: str, **kwargs: Any) -> Any:
        resp = await self.request(method, path, **kwargs)
        if resp.status_code >= 400:
            raise _error(resp)
        return resp.json() if resp.content else None

    async def _list(self, path: str, filters: Params, key: str = "") -> list[dict[str, Any]]:
        """Every item of a collection (``key``: its body key when it differs from the path)."""
        key = key or path
        found: list[dict[str, Any]] = []
        url: str = f"/{path}"
        params: list[tuple[str, str]] | None = _query(filters)
        while True:
            page = await self._ok("GET", url, params=params)
            found.extend(page[key])
            nexts = [link["href"] for link in page.get(f"{key}_links", []) if link["rel"] == "next"]
            if not nexts or not page[key]:
                return found
            url, params = nexts[0], None

    async def _get(self, singular: str, plural: str, item_id: str) -> dict[str, Any] | None:
        resp = await self.request("GET", f"/{plural}/{item_id}")
        if resp.status_code == 404:
            return None
        if resp.status_code >= 400:
            raise _error(resp)
        return dict(resp.json()[singular])

    async def _create(self, singular: str, plural: str, fields: dict[str, Any]) -> dict[str, Any]:
        return dict((await self._ok("POST", f"/{plural}", json={singular: fields}))[singular])

    async def _update(
        self, singular: str, plural: str, item_id: str, fields: dict[str, Any]
    ) -> dict[str, Any]:
        body = {singular: fields}
        return dict((await self._ok("PUT", f"/{plural}/{item_id}", json=body))[singular])

    async def _delete(self, plural: str, item_id: str) -> None:
        resp = await self.request("DELETE", f"/{plural}/{item_id}")
        if resp.status_code not in (204, 404):
            raise _error(resp)

    # -- networks ----------------------------------------------------------------------
    async def list_networks(self, **filters: Any) -> list[dict[str, Any]]:
        return await self._list("networks", filters)

    async def get_network(self, network_id: str) -> dict[str, Any] | None:
        return await self._get("network", "networks", network_id)

    async def find_network(self, name_or_id: str) -> dict[str, Any] | None:
        """A network by id, else the only one with that name (None if there is none)."""
        by_name = await self.list_networks(name=name_or_id)
        if len(by_name) == 1:
            return by_name[0]
        return await self.get_network(name_or_id) if not by_name else None

    async def create_network(self, **fields: Any) -> dict[str, Any]:
        return await self._create("network", "networks", fields)

    async def delete_network(self, network_id: str) -> None:
        await self._delete("networks", network_id)

    # -- subnets and subnet pools ---------------------------------------------------------
    async def list_subnets(self, **filters: Any) -> list[dict[str, Any]]:
        return await self._list("subnets", filters)

    async def create_subnet(self, **fields: Any) -> dict[str, Any]:
        return await self._create("subnet", "subnets", fields)

    async def list_subnetpools(self, **filters: Any) -> list[dict[str, Any]]:
        return await self._list("subnetpools", filters)

    async def create_subnetpool(self, **fields: Any) -> dict[str, Any]:
        return await self._create("subnetpool", "subnetpools", fields)

    # -- ports -------------------------------------------------------------------------------
    async def list_ports(self, **filters: Any) -> list[dict[str, Any]]:
        """Ports matching the filters (``device_id=...``, ``fixed_ips=["ip_address=..."]``)."""
        return await self._list("ports", filters)

    async def get_port(self, port_id: str) -> dict[str, Any] | None:
        return await self._get("port", "ports", port_id)

    async def create_port(self, **fields: Any) -> dict[str, Any]:
        return await self._create("port", "ports", fields)

    async def update_port(
        self, port_id: str, *, revision: int | None = None, **fields: Any
    ) -> dict[str, Any]:
        """Change a port; with ``revision``, only if it is still at that revision (412)."""
        if revision is None:
            return await self._update("port", "ports", port_id, fields)
        match = {"If-Match": f"revision_number={revision}"}
        body = {"port": fields}
        found = await self._ok("PUT", f"/ports/{port_id}", json=body, extra_headers=match)
        return dict(found["port"])

    async def delete_port(self, port_id: str) -> None:
        """Delete a port (one already gone is fine)."""
        await self._delete("ports", port_id)

    # -- routers -------------------------------------------------------------------------------
    async def list_routers(self, **filters: Any) -> list[dict[str, Any]]:
        return await self._list("routers", filters)

    async def create_router(self, **fields: Any) -> dict[str, Any]:
        return await self._create("router", "routers", fields)

    async def add_router_interface(self, router_id: str, subnet_id: str) -> dict[str, Any]:
        body = {"subnet_id": subnet_id}
        return dict(await self._ok("PUT", f"/routers/{router_id}/add_router_interface", json=body))

    async def auto_allocated_topology(self, project_id: str, dry_run: bool = False) -> str:
        """The project's auto-allocated network id, made on first use ("dry-run=pass" for
        a dry run that found everything it needs)."""
        params = {"fields": "dry-run"} if dry_run else None
        path = f"/auto-allocated-topology/{project_id}"
        return str((await self._ok("GET", path, params=params))["auto_allocated_topology"]["id"])

    # -- security groups -----------------------------------------------------------------------
    async def list_security_groups(self, **filters: Any) -> list[dict[str, Any]]:
        return await self._list("security-groups", filters, "security_groups")

    async def get_security_group(self, group_id: str) -> dict[str, Any] | None:
        return await self._get("security_group", "security-groups", group_id)

    async def close(self) -> None:
        await self.client.aclose()
