"""The shared shape of a REST client: one endpoint, one token, OpenStack error bodies read.

Every OpenStack service words its errors differently (Nova ``{"itemNotFound":
{"message"}}``, Keystone ``{"error": {"message"}}``, Glance ``{"message"}``, Neutron
``{"NeutronError": {"message"}}``, Placement ``{"errors": [{"detail"}]}``); ``RestError``
carries the status and the message whichever it was.
"""

from __future__ import annotations

from typing import Any

import httpx

from nimbostack.clients.headers import trace_headers


class RestError(RuntimeError):
    """A service refused a request: ``status`` and the service's own message say why."""

    def __init__(self, status: int, message: str, service: str = "") -> None:
        super().__init__(f"{service or 'service'} answered {status}: {message}")
        self.status = status
        self.message = message
        self.service = service


def fault_message(resp: httpx.Response) -> str:
    """The human message of an OpenStack error body, or the start of its text."""
    try:
        body = resp.json()
    except ValueError:
        return resp.text[:300] or resp.reason_phrase
    if isinstance(body, dict):
        if isinstance(body.get("errors"), list) and body["errors"]:
            return str(body["errors"][0].get("detail", ""))
        if "message" in body:
            return str(body["message"])
        for value in body.values():
            if isinstance(value, dict) and "message" in value:
                return str(value["message"])
    return resp.text[:300]


class RestClient:
    """Requests to one endpoint with one token over a (shared) connection pool."""

    service = ""

    def __init__(
        self,
        base: str,
        token: str,
        client: httpx.AsyncClient,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.base = base.rstrip("/")
        self.token = token
        self.client = client
        self.extra_headers = dict(headers or {})

    def headers(self, more: dict[str, str] | None = None) -> dict[str, str]:
        return {"X-Auth-Token": self.token, **self.extra_headers, **trace_headers(), **(more or {})}

    async def response(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Any = None,
        content: Any = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        """The raw answer; raises RestError on 4xx/5xx."""
        resp = await self.client.request(
            method,
            f"{self.base}{path}",
            json=json,
            params=params or None,
            content=content,
            headers=self.headers(headers),
        )
        if resp.status_code >= 400:
            raise RestError(resp.status_code, fault_message(resp), self.service)
        return resp

    async def call(self, method: str, path: str, **kwargs: Any) -> Any:
        """The answer's JSON (None when it has no body); raises RestError on 4xx/5xx."""
        resp = await self.response(method, path, **kwargs)
        return resp.json() if resp.content else None
