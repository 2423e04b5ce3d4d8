"""The JSON wire format of the bus: request envelopes and call replies.

A request travels as::

    {"kind": "call"|"cast"|"fanout", "name": "BuildInstance", "version": "1.0",
     "args": {...}, "context": RequestContext.to_dict(), "traceparent": "00-...-01",
     "msg_id": "<uuid hex>", "reply_to": "<reply queue>"|null, "topic": "compute.agent.h1"}

and a reply as ``{"msg_id": ..., "result": <JSON>}`` or
``{"msg_id": ..., "error": {"type", "message", "details", "expected"}}``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, cast

import orjson

from nimbostack.core.rpc.errors import MalformedMessage, RemoteError, RemoteExpectedError

Kind = Literal["call", "cast", "fanout"]
_KINDS = ("call", "cast", "fanout")
_REQUIRED = ("kind", "name", "version", "msg_id", "topic")


def _encode_default(value: Any) -> Any:
    # orjson writes dataclasses itself; sets and other iterables travel as lists.
    if isinstance(value, set | frozenset):
        return sorted(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _dumps(payload: dict[str, Any]) -> bytes:
    return orjson.dumps(payload, default=_encode_default, option=orjson.OPT_NON_STR_KEYS)


def _loads(body: bytes, what: str) -> dict[str, Any]:
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise MalformedMessage(f"{what} is not JSON: {exc}") from None
    if not isinstance(payload, dict):
        raise MalformedMessage(f"{what} is not a JSON object")
    return payload


@dataclass(slots=True)
class Envelope:
    """One request on the bus: the message, who asks, and where a reply goes."""

    kind: Kind
    name: str
    version: str
    args: dict[str, Any]
    context: dict[str, Any]
    traceparent: str | None
    msg_id: str
    reply_to: str | None
    topic: str

    def encode(self) -> bytes:
        return _dumps(
            {
                "kind": self.kind,
                "name": self.name,
                "version": self.version,
                "args": self.args,
                "context": self.context,
                "traceparent": self.traceparent,
                "msg_id": self.msg_id,
                "reply_to": self.reply_to,
                "topic": self.topic,
            }
        )

    @classmethod
    def decode(cls, body: bytes) -> Envelope:
        raw = _loads(body, "envelope")
        missing = [key for key in _REQUIRED if not isinstance(raw.get(key), str)]
        if missing or raw["kind"] not in _KINDS:
            raise MalformedMessage(f"envelope lacks a valid {', '.join(missing) or 'kind'}")
        args, context = raw.get("args") or {}, raw.get("context") or {}
        if not isinstance(args, dict) or not isinstance(context, dict):
            raise MalformedMessage("envelope args and context must be JSON objects")
        return cls(
            kind=cast(Kind, raw["kind"]),
            name=raw["name"],
            version=raw["version"],
            args=args,
            context=context,
            traceparent=_optional_str(raw.get("traceparent")),
            msg_id=raw["msg_id"],
            reply_to=_optional_str(raw.get("reply_to")),
            topic=raw["topic"],
        )


def _optional_str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


@dataclass(slots=True)
class Reply:
    """The answer to one call: a JSON result or the description of an exception."""

    msg_id: str
    result: Any = None
    error: dict[str, Any] | None = None

    @classmethod
    def failure(cls, msg_id: str, exc: BaseException) -> Reply:
        if isinstance(exc, RemoteExpectedError):
            kind, details, expected = exc.wire_name(), exc.details, True
        else:
            kind, details, expected = type(exc).__name__, {}, False
        error = {"type": kind, "message": str(exc), "details": details, "expected": expected}
        return cls(msg_id, error=error)

    def encode(self) -> bytes:
        if self.error is not None:
            return _dumps({"msg_id": self.msg_id, "error": self.error})
        return _dumps({"msg_id": self.msg_id, "result": self.result})

    @classmethod
    def decode(cls, body: bytes) -> Reply:
        raw = _loads(body, "reply")
        error = raw.get("error")
        if not isinstance(raw.get("msg_id"), str) or not isinstance(error, dict | None):
            raise MalformedMessage("reply lacks a msg_id or has a malformed error")
        return cls(raw["msg_id"], raw.get("result"), error)

    def unwrap(self, *, topic: str, message_name: str) -> Any:
        """The result, or raise the remote exception on the caller's side."""
        if self.error is None:
            return self.result
        exc_type = str(self.error.get("type", "Exception"))
        message = str(self.error.get("message", ""))
        expected = RemoteExpectedError.lookup(exc_type) if self.error.get("expected") else None
        if expected is not None:
            raise expected.rebuild(message, dict(self.error.get("details") or {}))
        raise RemoteError(exc_type, message, topic=topic, message_name=message_name)
