"""Self links and list envelopes in the shape Keystone returns them."""

from __future__ import annotations

from typing import Any

from nimbostack.core.api.request import ApiRequest


def base_url(req: ApiRequest) -> str:
    return str(req.http.base_url).rstrip("/")


def self_link(req: ApiRequest, path: str) -> dict[str, str]:
    return {"self": f"{base_url(req)}{path}"}


def collection(req: ApiRequest, key: str, items: list[dict[str, Any]]) -> dict[str, Any]:
    """``{key: [...], "links": {"self", "previous", "next"}}`` as Keystone lists do."""
    url = f"{base_url(req)}{req.http.url.path}"
    if req.http.url.query:
        url = f"{url}?{req.http.url.query}"
    return {key: items, "links": {"self": url, "previous": None, "next": None}}
