"""ApiRequest: what a handler sees of an HTTP request (context, params, validated body)."""

from __future__ import annotations

import asyncio
import json
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import jsonschema
from jsonschema.validators import validator_for
from starlette.requests import Request

from nimbostack.core.context import RequestContext
from nimbostack.core.errors import (
    BadRequest,
    Forbidden,
    RequestEntityTooLarge,
    UnsupportedMediaType,
)

if TYPE_CHECKING:
    from nimbostack.core.api.microversion import Version
    from nimbostack.core.auth.policy import Enforcer

# OpenStack's default bound on a request body (oslo.middleware's max_request_body_size).
MAX_JSON_BODY = 114688
# Schema checks cost tens of microseconds per value: a body past this size is decoded
# and checked in a worker thread, so the event loop keeps serving meanwhile.
INLINE_JSON_BODY = 16384


@lru_cache(maxsize=512)
def _validator(schema_json: str) -> jsonschema.protocols.Validator:
    schema = json.loads(schema_json)
    cls = validator_for(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def _field_path(error: jsonschema.ValidationError) -> str:
    parts = [str(p) for p in error.absolute_path]
    if error.validator == "required" and isinstance(error.message, str):
        missing = error.message.split("'")[1] if "'" in error.message else ""
        parts.append(missing)
    return ".".join(p for p in parts if p)


def validate(body: Any, schema: dict[str, Any]) -> None:
    """Raise BadRequest naming the first offending field."""
    validator = _validator(json.dumps(schema, sort_keys=True))
    error = jsonschema.exceptions.best_match(validator.iter_errors(body))
    if error is None:
        return
    field = _field_path(error)
    if field:
        raise BadRequest(f"Invalid input for field '{field}': {error.message}")
    raise BadRequest(f"Invalid input: {error.message}")


def _decode(raw: bytes, schema: dict[str, Any] | None) -> Any:
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequest(f"Malformed JSON in request body: {exc}") from None
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
    ) -> None:
        self.http = http
        self.context = context
        self.enforcer = enforcer
        self.version = version
        self.response_headers: dict[str, str] = {}
        self._raw: bytes | None = None

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

    async def body(self, limit: int = MAX_JSON_BODY) -> bytes:
        """The whole body, refused with 413 once it grows past ``limit`` bytes."""
        if self._raw is not None:
            return self._raw
        too_large = RequestEntityTooLarge(f"Request is too large: the limit is {limit} bytes.")
        declared = self.http.headers.get("content-length", "")
        if declared.isdecimal() and int(declared[:20]) > limit:
            raise too_large
        chunks, size = [], 0
        async for chunk in self.http.stream():
            size += len(chunk)
            if size > limit:
                raise too_large
            chunks.append(chunk)
        self._raw = b"".join(chunks)
        return self._raw

    async def json(self, schema: dict[str, Any] | None = None) -> Any:
        """Parse the JSON body and validate it against ``schema``."""
        raw = await self.body()
        ctype = self.http.headers.get("content-type", "application/json")
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
