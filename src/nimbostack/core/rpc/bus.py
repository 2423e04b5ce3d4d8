"""Choosing the transport of a bus by its URL: ``memory://`` or ``rabbit://...``."""

from __future__ import annotations

from nimbostack.core.errors import ConfigError
from nimbostack.core.rpc.transport import Transport


def get_transport(url: str) -> Transport:
    """The transport for ``url``, not yet connected: ``memory://`` or ``rabbit://...``."""
    scheme, sep, _ = url.partition("://")
    # Imported when chosen: the AMQP client costs start-up time a one-process cloud
    # does not need.
    if scheme == "memory" and sep:
        from nimbostack.core.rpc.memory import MemoryTransport

        return MemoryTransport(url)
    if scheme in ("rabbit", "amqp") and sep:
        from nimbostack.core.rpc.rabbit import RabbitTransport

        return RabbitTransport(url)
    raise ConfigError(
        f"transport_url {url!r} has an unknown scheme; use memory:// or "
        "rabbit://user:pass@host:5672/"
    )
