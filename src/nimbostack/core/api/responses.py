"""Response helpers: JSON bodies and empty replies with the right headers."""

from __future__ import annotations

import json
from typing import Any

from starlette.responses import Response


def dumps(body: Any) -> bytes:
    return json.dumps(body, separators=(",", ":"), default=str).encode()


def json_response(
    body: Any,
    status: int = 200,
    headers: dict[str, str] | None = None,
    content_type: str = "application/json",
) -> Response:
    return Response(dumps(body), status_code=status, headers=headers, media_type=content_type)


def empty(status: int = 204, headers: dict[str, str] | None = None) -> Response:
    return Response(b"", status_code=status, headers=headers)
