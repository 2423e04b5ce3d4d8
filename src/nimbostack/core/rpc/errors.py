"""Errors of the message bus: timeouts, lost connections, remote failures, expected errors.

A handler's exception reaches the caller in one of two shapes. Subclasses of
`RemoteExpectedError` are part of a message's contract (``InstanceNotFound``,
``NoValidHost``): they are registered by class name and re-raised on the caller as the
same type. Anything else is a bug on the remote side and arrives as a `RemoteError`
that names the remote exception's class and message.
"""

from __future__ import annotations

from typing import Any, ClassVar


class RpcError(Exception):
    """Base class of every failure raised by the message bus itself."""


class RemoteExpectedError(Exception):
    """Base class for errors a handler raises on purpose, re-raised as-is on the caller.

    Subclasses are registered by class name (or by ``remote_name`` when set) as they are
    defined; caller and server must both import the class. Only ``message`` and the
    JSON-typed keyword ``details`` travel: keep extra state in ``details``, because the
    caller rebuilds the exception without running the subclass's ``__init__``.
    """

    remote_name: ClassVar[str | None] = None
    _registry: ClassVar[dict[str, type[RemoteExpectedError]]] = {}

    def __init__(self, message: str = "", **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        name = cls.wire_name()
        known = RemoteExpectedError._registry.get(name)
        # A reloaded module defines the same class again; two different classes
        # with one wire name would be re-raised as the wrong type.
        if known is not None and _qualified(known) != _qualified(cls):
            raise TypeError(
                f"remote error name {name!r} is used by both {_qualified(known)} "
                f"and {_qualified(cls)}; set remote_name on one of them"
            )
        RemoteExpectedError._registry[name] = cls

    @classmethod
    def wire_name(cls) -> str:
        """The name this error type travels under."""
        return cls.__dict__.get("remote_name") or cls.__name__

    @classmethod
    def lookup(cls, name: str) -> type[RemoteExpectedError] | None:
        """The registered expected-error type called ``name``, if any."""
        return cls._registry.get(name)

    @classmethod
    def rebuild(cls, message: str, details: dict[str, Any]) -> RemoteExpectedError:
        """Recreate an instance from its wire form, bypassing subclass constructors."""
        exc = cls.__new__(cls)
        Exception.__init__(exc, message)
        exc.message = message
        exc.details = dict(details)
        return exc


def _qualified(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


class NoSuchMessage(RpcError, RemoteExpectedError):
    """The server on a topic has no handler for a message name."""


class IncompatibleVersion(RpcError, RemoteExpectedError):
    """A message's major version differs from the one the server understands."""


class MalformedMessage(RpcError, RemoteExpectedError):
    """A message or envelope could not be decoded (missing fields, wrong JSON shape)."""


class MessagingTimeout(RpcError):
    """A call got no reply in time; the server may still run (or have run) the message."""

    def __init__(self, topic: str, message_name: str, timeout: float) -> None:
        super().__init__(f"no reply from topic {topic!r} within {timeout:g} s to {message_name}")
        self.topic = topic
        self.message_name = message_name
        self.timeout = timeout


class ConnectionLost(RpcError):
    """The bus connection dropped while a call waited; its reply can no longer arrive."""

    def __init__(self, topic: str, message_name: str) -> None:
        super().__init__(
            f"connection to the message bus was lost while waiting for a reply from "
            f"topic {topic!r} to {message_name}; the message may or may not have run"
        )
        self.topic = topic
        self.message_name = message_name


class BusUnavailable(RpcError):
    """The broker cannot be reached, at connection time or for longer than a publish may wait."""


class DeliveryFailure(RpcError):
    """The broker refused a message (negative confirm, or nowhere to route it)."""


class RemoteError(RpcError):
    """An unexpected exception raised by a remote handler, by class name and message."""

    def __init__(self, exc_type: str, value: str, *, topic: str, message_name: str) -> None:
        super().__init__(f"{exc_type} from topic {topic!r} handling {message_name}: {value}")
        self.exc_type = exc_type
        self.value = value
        self.topic = topic
        self.message_name = message_name
