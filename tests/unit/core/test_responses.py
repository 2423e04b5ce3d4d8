"""Responses that carry client text: JSON bodies and headers that always encode."""

from __future__ import annotations

import json

from nimbostack.core.api.responses import dumps, empty, header_value, json_response, url_segment


def test_dumps_falls_back_for_what_orjson_refuses() -> None:
    body = {"name": "a\ud800b", "size": 2**70}
    assert json.loads(dumps(body)) == body


def test_header_values_keep_printable_ascii_and_escape_the_rest() -> None:
    assert header_value("http://x/tags/a b%") == "http://x/tags/a b%"
    assert header_value("/tags/\r\nX-Injected: 1") == "/tags/%0D%0AX-Injected: 1"
    assert header_value("/tags/\U0001f600\x00") == "/tags/%F0%9F%98%80%00"


def test_url_segment_quotes_everything_but_unreserved_characters() -> None:
    assert url_segment("a b/,\r\n\U0001f600") == "a%20b%2F%2C%0D%0A%F0%9F%98%80"


def test_helpers_never_put_raw_client_text_in_headers() -> None:
    for response in (
        empty(201, {"Location": "/x/\r\nSet-Cookie: a=b"}),
        json_response({}, 200, {"Location": "/x/\U0001f600"}),
    ):
        location = response.headers["location"]
        assert location.isascii() and location.isprintable()
