"""Response helpers: JSON bodies and empty replies with the right headers."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import Response


def dumps(body: Any) -> bytes:
    return orjson.dumps(body, default=str, option=orjson.OPT_NON_STR_KEYS)


def json_response(
    body: Any,
    status: int = 200,
    headers: dict[str, str] | None = None,
    content_type: str = "application/json",
) -> Response:
    return Response(dumps(body), status_code=status, headers=headers, media_type=content_type)


def empty(status: int = 204, headers: dict[str, str] | None = None) -> Response:
    return Response(b"", status_code=status, headers=headers)
