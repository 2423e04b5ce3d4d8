"""Error types shared by every service; each API maps them to its own OpenStack body."""

from __future__ import annotations


class ConfigError(Exception):
    """A configuration value is missing or invalid; the message names the option."""


class ApiError(Exception):
    """An error that becomes an HTTP response with an OpenStack-style body.

    ``code`` is a machine-readable error code for APIs that carry one (placement's
    ``placement.concurrent_update``, for example).
    """

    status: int = 500
    title: str = "Internal Server Error"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.headers = headers or {}


class BadRequest(ApiError):
    status = 400
    title = "Bad Request"


class Unauthorized(ApiError):
    status = 401
    title = "Unauthorized"


class Forbidden(ApiError):
    status = 403
    title = "Forbidden"


class NotFound(ApiError):
    status = 404
    title = "Not Found"


class MethodNotAllowed(ApiError):
    status = 405
    title = "Method Not Allowed"


class NotAcceptable(ApiError):
    status = 406
    title = "Not Acceptable"


class Conflict(ApiError):
    status = 409
    title = "Conflict"


class Gone(ApiError):
    status = 410
    title = "Gone"


class RequestEntityTooLarge(ApiError):
    status = 413
    title = "Request Entity Too Large"


class UnsupportedMediaType(ApiError):
    status = 415
    title = "Unsupported Media Type"


class RangeNotSatisfiable(ApiError):
    status = 416
    title = "Requested Range Not Satisfiable"


class TooManyRequests(ApiError):
    status = 429
    title = "Too Many Requests"


class NotImplementedApi(ApiError):
    status = 501
    title = "Not Implemented"


class ServiceUnavailable(ApiError):
    status = 503
    title = "Service Unavailable"
