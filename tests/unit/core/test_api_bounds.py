"""The API wrapper's bounds, on a small in-process app: body size, tokens, headers."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.responses import Response

from nimbostack.core.api.app import ApiSettings, Route, build_app
from nimbostack.core.api.errorbody import keystone_error
from nimbostack.core.api.request import ApiRequest
from nimbostack.core.api.responses import json_response
from nimbostack.core.auth.tokens import TokenInfo
from nimbostack.core.config import load
from nimbostack.core.options import max_body_size
from nimbostack.image import options as _image_options  # noqa: F401 (registers [image])

LIMIT = 1000


class CountingValidator:
    def __init__(self) -> None:
        self.seen: list[str] = []

    async def validate(self, token: str) -> TokenInfo:
        self.seen.append(token)
        return TokenInfo(user_id="u", user_name="u", user_domain_id="d", expires_at=2e9)


async def echo(req: ApiRequest) -> Response:
    return json_response(await req.json())


async def raw_header(req: ApiRequest) -> Response:
    # A handler that builds a header from client text without quoting it.
    return Response(b"", 204, headers={"Location": "/x/" + req.param("name")})


@pytest.fixture
def validator() -> CountingValidator:
    return CountingValidator()


@pytest.fixture
async def client(validator: CountingValidator) -> AsyncIterator[httpx.AsyncClient]:
    settings = ApiSettings(
        service="test",
        error_format=keystone_error,
        validator=validator,
        enforcer=None,
        max_body_size=LIMIT,
    )
    routes = [Route("POST", "/echo", echo), Route("GET", "/raw/{name}", raw_header)]
    transport = httpx.ASGITransport(app=build_app(routes, settings))
    headers = {"X-Auth-Token": "token"}
    async with httpx.AsyncClient(transport=transport, base_url="http://t", headers=headers) as c:
        yield c


async def test_a_body_within_the_limit_is_read(client: httpx.AsyncClient) -> None:
    body = {"a": "x" * (LIMIT - 20)}
    resp = await client.post("/echo", json=body)
    assert (resp.status_code, resp.json()) == (200, body)


async def test_a_declared_length_over_the_limit_is_413(client: httpx.AsyncClient) -> None:
    resp = await client.post("/echo", json={"a": "x" * LIMIT})
    assert resp.status_code == 413
    assert resp.json()["error"]["message"] == (
        f"The request body is larger than the limit of {LIMIT} bytes."
    )


async def test_a_chunked_body_over_the_limit_is_413(client: httpx.AsyncClient) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(10):
            yield b" " * 200

    resp = await client.post(
        "/echo", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert resp.status_code == 413


async def test_a_token_that_cannot_be_one_never_reaches_the_validator(
    client: httpx.AsyncClient, validator: CountingValidator
) -> None:
    for bad in ("\u00ff\u00fe".encode("latin-1"), b"a\tb"):
        resp = await client.post("/echo", json={}, headers={"X-Auth-Token": bad})
        assert resp.status_code == 401
    assert validator.seen == []


async def test_a_header_built_from_client_text_is_sent_percent_encoded(
    client: httpx.AsyncClient,
) -> None:
    resp = await client.get("/raw/a%0D%0ASet-Cookie:%20x=1")
    assert resp.status_code == 204
    assert resp.headers["location"] == "/x/a%0D%0ASet-Cookie: x=1"
    assert "set-cookie" not in resp.headers


def test_the_limit_is_set_per_service_or_for_all() -> None:
    conf = load(None, environ={"NIMBOSTACK_IMAGE__MAX_REQUEST_BODY_SIZE": "2048"})
    assert max_body_size(conf, "image") == 2048
    assert max_body_size(conf, "identity") == 114688
    shared = load(None, environ={"NIMBOSTACK_DEFAULT__MAX_REQUEST_BODY_SIZE": "4096"})
    assert max_body_size(shared, "identity") == 4096
