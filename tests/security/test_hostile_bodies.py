"""Hostile request bodies, paths, queries and tokens get a 4xx from every service.

Each case was a 500, a dropped connection or a stored record before the framework
bounded what it reads: nesting, size, Unicode, NUL, and tokens that cannot be tokens.
"""

from __future__ import annotations

import json

import httpx

from tests.security.conftest import Caller, error_message

JSON = {"Content-Type": "application/json"}


def _login(name: str) -> bytes:
    user = {"name": name, "domain": {"id": "default"}, "password": "x"}
    body = {"auth": {"identity": {"methods": ["password"], "password": {"user": user}}}}
    # The standard encoder writes a lone surrogate as its \ud800 escape.
    return json.dumps(body).encode()


def _post_login(member: Caller, body: bytes) -> httpx.Response:
    return member.call(
        "POST", "identity", "/v3/auth/tokens", token=False, content=body, headers=JSON
    )


def test_deep_nesting_on_login_is_400(member: Caller) -> None:
    resp = _post_login(member, b"[" * 100_000)
    assert resp.status_code == 400
    assert error_message(resp) == "The JSON body is nested deeper than 32 levels."


def test_valid_but_too_deep_document_is_400(member: Caller) -> None:
    body = b'{"auth":' + b"[" * 40 + b"]" * 40 + b"}"
    resp = member.call(
        "POST", "identity", "/v3/auth/tokens", token=False, content=body, headers=JSON
    )
    assert resp.status_code == 400
    assert error_message(resp) == "The JSON body is nested deeper than 32 levels."


def test_body_over_the_limit_is_413(member: Caller) -> None:
    body = json.dumps({"auth": {"padding": "z" * 120_000}}).encode()
    resp = member.call(
        "POST", "identity", "/v3/auth/tokens", token=False, content=body, headers=JSON
    )
    assert resp.status_code == 413
    assert error_message(resp) == "The request body is larger than the limit of 114688 bytes."


def test_chunked_body_over_the_limit_is_413(member: Caller) -> None:
    def chunks() -> object:
        for _ in range(40):
            yield b" " * 4096

    resp = member.call("POST", "compute", "/v2.1/os-keypairs", content=chunks(), headers=JSON)
    assert resp.status_code == 413
    assert resp.json()["overLimit"]["message"].startswith("The request body is larger")


def test_lone_surrogate_in_login_is_400(member: Caller) -> None:
    resp = _post_login(member, _login("\ud800"))
    assert resp.status_code == 400
    message = error_message(resp)
    assert message.startswith("Invalid Unicode in request body")
    assert "surrogate" in message


def test_nul_in_a_body_string_is_400(member: Caller) -> None:
    body = json.dumps({"keypair": {"name": "a\x00b"}}).encode()
    resp = member.call("POST", "compute", "/v2.1/os-keypairs", content=body, headers=JSON)
    assert resp.status_code == 400
    assert error_message(resp) == "Strings in the request body must not contain NUL characters."


def test_nul_in_path_and_query_is_400(member: Caller) -> None:
    path = member.call("GET", "compute", "/v2.1/os-keypairs/a%00b")
    assert path.status_code == 400
    assert error_message(path) == "Invalid characters in path parameter 'name': 'a\\x00b'"
    query = member.call("GET", "image", "/v2/images?name=a%00b")
    assert query.status_code == 400
    assert error_message(query) == "Invalid characters in query parameter 'name'."


def test_token_that_cannot_be_one_is_401(member: Caller) -> None:
    for service, path in (("compute", "/v2.1/servers"), ("image", "/v2/images")):
        resp = member.call(
            "GET",
            service,
            path,
            token=False,
            headers={"X-Auth-Token": "\u00ff\u00fe".encode("latin-1")},
        )
        assert resp.status_code == 401, resp.text
        assert error_message(resp) == "The request you have made requires authentication."


def test_image_data_is_streamed_past_the_body_limit(member: Caller) -> None:
    created = member.call(
        "POST",
        "image",
        "/v2/images",
        json={"name": "big", "disk_format": "raw", "container_format": "bare"},
    )
    assert created.status_code == 201, created.text
    image = created.json()["id"]
    data = b"\1" * 300_000
    upload = member.call(
        "PUT",
        "image",
        f"/v2/images/{image}/file",
        content=data,
        headers={"Content-Type": "application/octet-stream"},
    )
    assert upload.status_code == 204, upload.text
    shown = member.call("GET", "image", f"/v2/images/{image}").json()
    assert (shown["status"], shown["size"]) == ("active", len(data))


def test_json_bodies_within_the_limits_still_work(member: Caller) -> None:
    name = "x" * 100 + "\U0001f600"
    body = {"server_group": {"name": name, "policies": ["anti-affinity"]}}
    resp = member.call("POST", "compute", "/v2.1/os-server-groups", json=body)
    assert resp.status_code == 200, resp.text
    assert resp.json()["server_group"]["name"] == name


def test_image_id_with_control_characters_is_404_through_the_compute_proxy(
    member: Caller,
) -> None:
    # The id went raw into the image service's URL, which httpx refused: a 500.
    resp = member.call("GET", "compute", "/v2.1/images/%7F%0D%0AX")
    assert resp.status_code == 404
    assert error_message(resp) == "Image \x7f\r\nX could not be found."
