"""ApiRequest: what a handler sees of an HTTP request (context, params, validated body)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from starlette.requests import Request

from nimbostack.core.api.jsonbody import decode_json
from nimbostack.core.api.params import bounded_int, clipped, parse_int
from nimbostack.core.api.schema import MAX_INT, validate
from nimbostack.core.context import RequestContext
from nimbostack.core.errors import (
    BadRequest,
    Forbidden,
    RequestEntityTooLarge,
    UnsupportedMediaType,
)
from nimbostack.core.options import DEFAULT_MAX_BODY

if TYPE_CHECKING:
    from nimbostack.core.api.microversion import Version
    from nimbostack.core.auth.policy import Enforcer

__all__ = ["DEFAULT_MAX_BODY", "ApiRequest", "validate"]
# Schema checks cost tens of microseconds per value: a body past this size is decoded
# and checked in a worker thread, so the event loop keeps serving meanwhile.
INLINE_JSON_BODY = 16384


def _decode(raw: bytes, schema: dict[str, Any] | None) -> Any:
    body = decode_json(raw)
    if schema is not None:
        validate(body, schema)
    return body


class ApiRequest:
    """One request as handlers see it."""

    def __init__(
        self,
        http: Request,
        context: RequestContext,
        enforcer: Enforcer | None,
        version: Version | None = None,
        max_body_size: int = DEFAULT_MAX_BODY,
    ) -> None:
        self.http = http
        self.context = context
        self.enforcer = enforcer
        self.version = version
        self.max_body_size = max_body_size
        self.response_headers: dict[str, str] = {}
        self._body: bytes | None = None

    @property
    def service_state(self) -> Any:
        """The state the serving service shares with its handlers (see core.service)."""
        return self.http.app.state.service

    @property
    def path_params(self) -> dict[str, Any]:
        return self.http.path_params

    def param(self, name: str) -> str:
        return str(self.http.path_params[name])

    @property
    def query(self) -> Any:
        return self.http.query_params

    def query_int(
        self,
        name: str,
        default: int | None = None,
        *,
        minimum: int = 0,
        maximum: int = MAX_INT,
        message: str | None = None,
    ) -> int | None:
        """A query parameter as an integer within ``minimum..maximum``, else BadRequest.

        ``message`` (formatted with ``value``) replaces the generic error text, for
        APIs whose clients expect their own wording.
        """
        raw = self.http.query_params.get(name)
        if raw is None:
            return default
        if message is None:
            return parse_int(raw, name, minimum, maximum, kind="query parameter")
        value = bounded_int(raw, minimum, maximum)
        if value is None:
            raise BadRequest(message.format(value=clipped(raw)))
        return value

    def query_bool(self, name: str, default: bool = False) -> bool:
        raw = self.http.query_params.get(name)
        if raw is None:
            return default
        value = raw.strip().lower()
        if value in ("", "1", "true", "yes", "on"):
            return True
        if value in ("0", "false", "no", "off"):
            return False
        raise BadRequest(f"Invalid value {raw!r} for query parameter '{name}': expected a boolean")

    async def body(self) -> bytes:
        """The raw body, read up to the service's size limit (413 beyond it)."""
        if self._body is None:
            self._body = await self._read_body()
        return self._body

    async def _read_body(self) -> bytes:
        limit = self.max_body_size
        declared = self.http.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise _too_large(limit)
        chunks: list[bytes] = []
        size = 0
        async for chunk in self.http.stream():
            size += len(chunk)
            if size > limit:
                raise _too_large(limit)
            chunks.append(chunk)
        return b"".join(chunks)

    async def json(self, schema: dict[str, Any] | None = None) -> Any:
        """Parse the JSON body and validate it against ``schema``."""
        ctype = self.http.headers.get("content-type", "application/json")
        raw = await self.body()
        if raw and "json" not in ctype:
            raise UnsupportedMediaType(f"Content type {ctype} is not supported, use JSON")
        if not raw:
            raise BadRequest("The request body is empty; a JSON object is required")
        if len(raw) > INLINE_JSON_BODY:
            return await asyncio.to_thread(_decode, raw, schema)
        return _decode(raw, schema)

    def enforce(self, rule: str, target: dict[str, Any] | None = None) -> None:
        """Check policy; raise Forbidden naming the rule when it fails."""
        if self.enforcer is None:
            return
        if not self.enforcer.check(rule, target or {}, self.context):
            raise Forbidden(f"You are not authorized to perform the requested action: {rule}.")

    def allowed(self, rule: str, target: dict[str, Any] | None = None) -> bool:
        if self.enforcer is None:
            return True
        return self.enforcer.check(rule, target or {}, self.context)


def _too_large(limit: int) -> RequestEntityTooLarge:
    return RequestEntityTooLarge(f"The request body is larger than the limit of {limit} bytes.")
