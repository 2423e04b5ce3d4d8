"""Headers every inter-service request carries: the trace context and the request id."""

from __future__ import annotations

from nimbostack.core import tracing


def trace_headers() -> dict[str, str]:
    """``traceparent`` and ``X-Openstack-Request-Id`` of the current span, if any."""
    current = tracing.current()
    if current is None:
        return {}
    headers = {"traceparent": current.traceparent()}
    if current.request_id:
        headers["X-Openstack-Request-Id"] = current.request_id
    return headers
