"""Response helpers: JSON bodies and empty replies, with headers that are always sendable.

Client text reaches responses: a name in an error message, a tag in a ``Location``.
Neither may make the response fail to encode. ``dumps`` falls back to the standard
encoder for what orjson refuses (a lone surrogate from old data, an integer beyond 64
bits), and every header value passes ``header_value``, which percent-encodes what
HTTP cannot carry (control characters, anything beyond ASCII), so a header can never
split a response or break its encoding.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import orjson
from starlette.responses import Response

# Printable ASCII stays as it is (a quoted value stays readable); the rest is escaped.
_HEADER_SAFE = "".join(chr(c) for c in range(0x20, 0x7F))


def dumps(body: Any) -> bytes:
    try:
        return orjson.dumps(body, default=str, option=orjson.OPT_NON_STR_KEYS)
    except (orjson.JSONEncodeError, TypeError):
        # ensure_ascii escapes lone surrogates (\udxxx), which orjson cannot encode.
        return json.dumps(body, default=str, separators=(",", ":")).encode()


def header_value(value: str) -> str:
    """``value`` as a header can carry it: printable ASCII, the rest percent-encoded."""
    if value.isascii() and value.isprintable():
        return value
    return quote(value, safe=_HEADER_SAFE, errors="backslashreplace")


def url_segment(text: str) -> str:
    """Client text as one segment of a URL (for Location headers and links)."""
    return quote(text, safe="", errors="backslashreplace")


def safe_headers(headers: dict[str, str] | None) -> dict[str, str] | None:
    if not headers:
        return headers
    return {name: header_value(value) for name, value in headers.items()}


def json_response(
    body: Any,
    status: int = 200,
    headers: dict[str, str] | None = None,
    content_type: str = "application/json",
) -> Response:
    return Response(
        dumps(body), status_code=status, headers=safe_headers(headers), media_type=content_type
    )


def empty(status: int = 204, headers: dict[str, str] | None = None) -> Response:
    return Response(b"", status_code=status, headers=safe_headers(headers))
