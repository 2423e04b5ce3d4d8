"""Builds a service's ASGI app from its route table, with one wrapper per route.

Each request passes, in order: request id and trace span, token validation (unless the
route is public), the check of its path and query text, microversion negotiation, the
handler, then error mapping. Doing this in one per-route wrapper rather than a stack of
middlewares keeps the hot path short.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route as StarletteRoute

from nimbostack.core import tracing
from nimbostack.core.api.errorbody import ErrorFormatter
from nimbostack.core.api.microversion import VersionRange
from nimbostack.core.api.params import check_params
from nimbostack.core.api.request import DEFAULT_MAX_BODY, ApiRequest
from nimbostack.core.api.responses import header_value, json_response, safe_headers
from nimbostack.core.auth.policy import Enforcer
from nimbostack.core.auth.tokens import TokenValidator
from nimbostack.core.context import RequestContext, new_request_id
from nimbostack.core.errors import (
    ApiError,
    MethodNotAllowed,
    NotFound,
    Unauthorized,
)

LOG = logging.getLogger("nimbostack.api")
Handler = Callable[[ApiRequest], Awaitable[Response]]


@dataclass(frozen=True)
class Route:
    """One entry of a service's route table: method, path, handler."""

    method: str
    path: str
    handler: Handler
    public: bool = False


@dataclass
class ApiSettings:
    """What the wrapper needs to know about the service it serves."""

    service: str
    error_format: ErrorFormatter
    validator: TokenValidator | None
    enforcer: Enforcer | None
    versions: VersionRange | None = None
    auth_uri: str = ""
    max_body_size: int = DEFAULT_MAX_BODY


# Bytes HTTP forbids in a header value (a CR or LF would split the response).
_HEADER_CTL = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")


def _error_response(settings: ApiSettings, err: ApiError, request_id: str) -> Response:
    headers = {"X-Openstack-Request-Id": request_id, **(safe_headers(err.headers) or {})}
    if isinstance(err, Unauthorized) and settings.auth_uri:
        headers.setdefault("WWW-Authenticate", f'Keystone uri="{settings.auth_uri}"')
    return json_response(settings.error_format(err, request_id), err.status, headers)


async def _authenticate(settings: ApiSettings, http: Request, ctx: RequestContext) -> None:
    if settings.validator is None:
        return
    token = http.headers.get("x-auth-token")
    if not token or not _plausible_token(token):
        raise Unauthorized("The request you have made requires authentication.")
    info = await settings.validator.validate(token)
    info.apply(ctx)
    ctx.auth_token = token
    service_token = http.headers.get("x-service-token")
    if service_token:
        if not _plausible_token(service_token):
            raise Unauthorized("The service token is not valid.")
        service = await settings.validator.validate(service_token)
        ctx.service_token = service_token
        ctx.service_roles = list(service.roles)


def _plausible_token(token: str) -> bool:
    """Tokens are printable ASCII; anything else cannot be one (nor travel in a header)."""
    return token.isascii() and token.isprintable()


def _sendable(response: Response) -> Response:
    """Percent-encode any header value a handler built with control characters in it."""
    raw = response.raw_headers
    for index, (name, value) in enumerate(raw):
        if _HEADER_CTL.search(value):
            raw[index] = (name, header_value(value.decode("latin-1")).encode("latin-1"))
    return response


def _wrap(route: Route, settings: ApiSettings) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(http: Request) -> Response:
        started = time.perf_counter()
        request_id = new_request_id()
        parent = tracing.SpanContext.parse(http.headers.get("traceparent"))
        ctx = RequestContext(request_id=request_id)
        incoming = http.headers.get("x-openstack-request-id")
        if incoming and incoming.startswith("req-"):
            ctx.global_request_id = incoming
        with tracing.span(
            f"{http.method} {route.path}", settings.service, parent=parent, request_id=request_id
        ) as sp:
            ctx.trace_id, ctx.span_id = sp.trace_id, sp.span_id
            response = await _run(route, settings, http, ctx)
            sp.attributes["status"] = response.status_code
        response.headers["X-Openstack-Request-Id"] = request_id
        _sendable(response)
        LOG.info(
            "%s %s %s %s %d %.1fms",
            settings.service,
            request_id,
            http.method,
            http.url.path,
            response.status_code,
            (time.perf_counter() - started) * 1000,
        )
        return response

    return endpoint


async def _run(route: Route, settings: ApiSettings, http: Request, ctx: RequestContext) -> Response:
    try:
        if not route.public:
            await _authenticate(settings, http, ctx)
        query = http.query_params.multi_items() if http.scope.get("query_string") else ()
        check_params(http.path_params.items(), query)
        version = None
        if settings.versions is not None:
            version = settings.versions.negotiate(dict(http.headers))
        req = ApiRequest(http, ctx, settings.enforcer, version, settings.max_body_size)
        response = await route.handler(req)
        if version is not None and settings.versions is not None:
            response.headers.update(settings.versions.response_headers(version))
        response.headers.update(safe_headers(req.response_headers) or {})
        return response
    except ApiError as err:
        return _error_response(settings, err, ctx.request_id)
    except Exception:
        LOG.exception("%s: unexpected error in %s %s", settings.service, http.method, route.path)
        internal = ApiError(
            "An unexpected error prevented the server from fulfilling your request."
        )
        return _error_response(settings, internal, ctx.request_id)


def build_app(routes: Sequence[Route], settings: ApiSettings) -> Starlette:
    """A Starlette app whose routing errors also use the service's error body."""
    grouped: dict[str, list[Route]] = {}
    for route in routes:
        grouped.setdefault(route.path, []).append(route)
    starlette_routes = []
    for path, items in grouped.items():
        for route in items:
            starlette_routes.append(
                StarletteRoute(path, _wrap(route, settings), methods=[route.method])
            )

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        request_id = new_request_id()
        routing_error: ApiError
        if exc.status_code == 405:
            routing_error = MethodNotAllowed(
                "The method specified is not allowed for this resource."
            )
        elif exc.status_code == 404:
            routing_error = NotFound("The resource could not be found.")
        else:
            routing_error = ApiError(str(exc.detail))
            routing_error.status = exc.status_code
        return _error_response(settings, routing_error, request_id)

    return Starlette(routes=starlette_routes, exception_handlers={HTTPException: http_error})
