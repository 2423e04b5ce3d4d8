"""Placement client: providers, inventories, candidates and allocations (microversion 1.36)."""

from __future__ import annotations

from typing import Any, Protocol

import httpx

from nimbostack.clients import tls
from nimbostack.clients.identity import Session
from nimbostack.core import tracing

VERSION = "placement 1.36"


class PlacementError(Exception):
    """Placement refused a request; ``status`` is its HTTP status."""

    def __init__(self, status: int, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


class _Auth(Protocol):
    async def session(self) -> Session: ...

    def invalidate(self) -> None: ...


def _error(resp: httpx.Response) -> PlacementError:
    try:
        first = resp.json()["errors"][0]
        return PlacementError(resp.status_code, str(first.get("detail")), first.get("code"))
    except (ValueError, KeyError, IndexError, TypeError):
        return PlacementError(resp.status_code, resp.text[:200])


class PlacementClient:
    """Talks to the placement endpoint of the catalog with a service token."""

    def __init__(
        self, auth: _Auth, client: httpx.AsyncClient | None = None, base: str | None = None
    ) -> None:
        self.auth = auth
        self.client = client or httpx.AsyncClient(
            timeout=30,
            limits=httpx.Limits(max_connections=100, max_keepalive_connections=50),
            verify=tls.context(),
        )
        self._base = base

    async def request(
        self, method: str, path: str, *, json: Any = None, params: Any = None
    ) -> httpx.Response:
        """One request; a 401 renews the token once. The trace context travels along."""
        for attempt in range(2):
            session = await self.auth.session()
            base = self._base or session.endpoint("placement")
            headers = {"X-Auth-Token": session.token, "OpenStack-API-Version": VERSION}
            current = tracing.current()
            if current is not None:
                headers["traceparent"] = current.traceparent()
                if current.request_id:
                    headers["X-Openstack-Request-Id"] = current.request_id
            resp = await self.client.request(
                method, f"{base}{path}", json=json, params=params, headers=headers
            )
            if resp.status_code != 401 or attempt:
                return resp
            self.auth.invalidate()
        raise AssertionError("unreachable")

    async def _ok(self, method: str, path: str, **kwargs: Any) -> Any:
        resp = await self.request(method, path, **kwargs)
        if resp.status_code >= 400:
            raise _error(resp)
        return resp.json() if resp.content else None

    # -- providers and inventory ---------------------------------------------------
    async def get_provider(self, uuid: str) -> dict[str, Any] | None:
        resp = await self.request("GET", f"/resource_providers/{uuid}")
        if resp.status_code == 404:
            return None
        if resp.status_code >= 400:
            raise _error(resp)
        return dict(resp.json())

    async def ensure_provider(self, uuid: str, name: str) -> dict[str, Any]:
        """The provider, created if missing (a concurrent creator is fine)."""
        detail = ""
        for _ in range(5):
            found = await self.get_provider(uuid)
            if found is not None:
                return found
            resp = await self.request(
                "POST", "/resource_providers", json={"uuid": uuid, "name": name}
            )
            if resp.status_code not in (200, 409):
                raise _error(resp)
            detail = str(_error(resp)) if resp.status_code == 409 else ""
        raise PlacementError(409, f"resource provider {name} ({uuid}) cannot be created: {detail}")

    async def get_inventories(self, uuid: str) -> dict[str, Any]:
        return dict(await self._ok("GET", f"/resource_providers/{uuid}/inventories"))

    async def set_inventories(self, uuid: str, inventories: dict[str, Any]) -> None:
        """Replace the provider's inventory, retrying on a generation conflict."""
        for _ in range(5):
            current = await self.get_inventories(uuid)
            body = {
                "inventories": inventories,
                "resource_provider_generation": current["resource_provider_generation"],
            }
            resp = await self.request("PUT", f"/resource_providers/{uuid}/inventories", json=body)
            if resp.status_code != 409:
                break
        if resp.status_code >= 400:
            raise _error(resp)

    async def set_traits(self, uuid: str, traits: list[str]) -> None:
        for _ in range(5):
            provider = await self.get_provider(uuid)
            if provider is None:
                return
            body = {"traits": traits, "resource_provider_generation": provider["generation"]}
            resp = await self.request("PUT", f"/resource_providers/{uuid}/traits", json=body)
            if resp.status_code != 409:
                break
        if resp.status_code >= 400:
            raise _error(resp)

    async def usages(self, uuid: str) -> dict[str, int]:
        return dict((await self._ok("GET", f"/resource_providers/{uuid}/usages"))["usages"])

    # -- candidates and allocations ------------------------------------------------
    async def allocation_candidates(self, params: dict[str, Any]) -> dict[str, Any]:
        resp = await self.request("GET", "/allocation_candidates", params=params)
        if resp.status_code >= 400:
            raise _error(resp)
        return dict(resp.json())

    async def get_allocations(self, consumer: str) -> dict[str, Any]:
        """``{"allocations": {rp: {"resources": ...}}, "consumer_generation": n|None, ...}``."""
        return dict(await self._ok("GET", f"/allocations/{consumer}"))

    async def put_allocations(
        self,
        consumer: str,
        allocations: dict[str, Any],
        *,
        project_id: str,
        user_id: str,
        generation: int | None,
    ) -> bool:
        """Claim; False on a conflict (capacity or generation), raises on other errors."""
        body = {
            "allocations": allocations,
            "project_id": project_id,
            "user_id": user_id,
            "consumer_generation": generation,
        }
        resp = await self.request("PUT", f"/allocations/{consumer}", json=body)
        if resp.status_code == 409:
            return False
        if resp.status_code >= 400:
            raise _error(resp)
        return True

    async def delete_allocations(self, consumer: str) -> None:
        resp = await self.request("DELETE", f"/allocations/{consumer}")
        if resp.status_code not in (204, 404):
            raise _error(resp)

    async def move_allocations(self, source: str, target: str) -> bool:
        """Give ``target`` the allocations of ``source`` and empty ``source``, atomically.

        This is how a migration record takes over an instance's old-host allocation
        (and gives it back on revert). False on a generation conflict.
        """
        src = await self.get_allocations(source)
        dst = await self.get_allocations(target)
        if not src.get("allocations"):
            return True
        body = {
            source: {
                "allocations": {},
                "project_id": src["project_id"],
                "user_id": src["user_id"],
                "consumer_generation": src.get("consumer_generation"),
            },
            target: {
                "allocations": src["allocations"],
                "project_id": src["project_id"],
                "user_id": src["user_id"],
                "consumer_generation": dst.get("consumer_generation"),
            },
        }
        resp = await self.request("POST", "/allocations", json=body)
        if resp.status_code == 409:
            return False
        if resp.status_code >= 400:
            raise _error(resp)
        return True

    async def close(self) -> None:
        await self.client.aclose()
