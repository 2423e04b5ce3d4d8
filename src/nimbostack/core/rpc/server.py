"""The server side of RPC: dispatching messages on a topic to an endpoint's handlers.

An endpoint is any object whose async methods are marked with `handles`::

    class SchedulerManager:
        @handles(SelectDestinations)
        async def select_destinations(
            self, ctxt: RequestContext, msg: SelectDestinations
        ) -> list[dict[str, str]]:
            ...

Each message runs in a tracing span that is a child of the caller's span, with a
`RequestContext` carrying the caller's request id and the new span's trace ids.
Casts are acknowledged after their handler ran, so on RabbitMQ a cast interrupted by a
crash is delivered again (at least once): handlers of casts should be idempotent.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from nimbostack.core import tracing
from nimbostack.core.context import RequestContext
from nimbostack.core.rpc.envelope import Envelope, Reply
from nimbostack.core.rpc.errors import MalformedMessage, RemoteExpectedError
from nimbostack.core.rpc.messages import Message, MessageRegistry
from nimbostack.core.rpc.transport import Subscription, Transport, host_topic

LOG = logging.getLogger(__name__)

E = TypeVar("E")
M = TypeVar("M", bound=Message)
R = TypeVar("R")
HandlerMethod = Callable[[E, RequestContext, M], Awaitable[R]]
_Bound = Callable[[RequestContext, Any], Awaitable[Any]]
# Told of a cast that could not be handled: (context, message name, its args, the error).
FailedCast = Callable[[RequestContext, str, dict[str, Any], BaseException], Awaitable[None]]
_MARK = "_nimbostack_rpc_handles"


def handles(msg_type: type[M]) -> Callable[[HandlerMethod[E, M, R]], HandlerMethod[E, M, R]]:
    """Mark an endpoint method as the handler of ``msg_type``."""

    def mark(method: HandlerMethod[E, M, R]) -> HandlerMethod[E, M, R]:
        setattr(method, _MARK, msg_type)
        return method

    return mark


def handler_names(endpoint_type: type) -> dict[type[Message], str]:
    """The message types an endpoint class handles, each with its method's name."""
    found: dict[type[Message], str] = {}
    for attr in dir(endpoint_type):
        msg_type = getattr(getattr(endpoint_type, attr, None), _MARK, None)
        if msg_type is None:
            continue
        if msg_type in found:
            raise TypeError(f"{endpoint_type.__qualname__} handles {msg_type.name} twice")
        found[msg_type] = attr
    return found


def _handlers_of(endpoint: object) -> dict[type[Message], _Bound]:
    names = handler_names(type(endpoint))
    if not names:
        raise TypeError(f"{type(endpoint).__qualname__} has no @handles methods")
    return {msg_type: getattr(endpoint, attr) for msg_type, attr in names.items()}


class RpcServer:
    """Serves one endpoint on a topic (competing), its fanout, and optionally its host topic.

    With ``host`` set, the server also takes messages addressed to
    ``host_topic(topic, host)``, which is how an agent is reached on one host.
    ``max_concurrency`` bounds the handlers running at once; on RabbitMQ it is also the
    prefetch, the number of unacknowledged messages the broker hands this server.
    ``on_failed_cast`` hears of every cast that found no handler here (an unknown name,
    a version or shape this server cannot read) or whose handler raised an unexpected
    error, so that the endpoint can repair what the sender left waiting; a failed call
    needs no such hook, since its error goes back to its caller.
    """

    def __init__(
        self,
        transport: Transport,
        topic: str,
        endpoint: object,
        *,
        service: str,
        max_concurrency: int = 64,
        on_failed_cast: FailedCast | None = None,
        host: str | None = None,
    ) -> None:
        self.transport = transport
        self.topic = topic
        self.service = service
        self.max_concurrency = max_concurrency
        self.host = host
        self._handlers = _handlers_of(endpoint)
        self.on_failed_cast = on_failed_cast
        self._registry = MessageRegistry(self._handlers)
        self._slots = asyncio.Semaphore(max_concurrency)
        self._subscriptions: list[Subscription] = []
        self._in_flight = 0
        self._idle = asyncio.Event()
        self._idle.set()

    async def start(self) -> None:
        """Connect and start consuming; messages queued while stopped are now delivered."""
        if self._subscriptions:
            raise RuntimeError(f"RPC server on {self.topic!r} is already started")
        await self.transport.connect()
        limit = self.max_concurrency
        topics = [self.topic] if self.host is None else [self.topic, self.routed_topic]
        for topic in topics:
            self._subscriptions.append(
                await self.transport.consume(topic, self._on_message, prefetch=limit)
            )
        self._subscriptions.append(
            await self.transport.consume_fanout(self.topic, self._on_message, prefetch=limit)
        )

    async def stop(self) -> None:
        """Stop taking messages, wait for running handlers to finish, then let go."""
        subscriptions, self._subscriptions = self._subscriptions, []
        for subscription in subscriptions:
            await subscription.cancel()
        # A delivery handed over just before the cancel may not have started yet.
        await asyncio.sleep(0)
        await self._idle.wait()
        for subscription in subscriptions:
            await subscription.close()

    @property
    def routed_topic(self) -> str:
        """The topic that reaches this very server: per host when ``host`` is set."""
        return self.topic if self.host is None else host_topic(self.topic, self.host)

    async def _on_message(self, body: bytes) -> None:
        self._in_flight += 1
        self._idle.clear()
        try:
            async with self._slots:
                await self._handle(body)
        finally:
            self._in_flight -= 1
            if not self._in_flight:
                self._idle.set()

    async def _handle(self, body: bytes) -> None:
        try:
            env = Envelope.decode(body)
        except MalformedMessage as exc:
            LOG.error("dropping undecodable message on topic %r: %s", self.topic, exc)
            return
        ctxt = RequestContext.from_dict(env.context)
        parent = tracing.SpanContext.parse(env.traceparent, ctxt.request_id)
        with tracing.span(
            f"rpc.handle {env.name}",
            service=self.service,
            parent=parent,
            request_id=ctxt.request_id,
            topic=env.topic,
            kind=env.kind,
        ) as record:
            ctxt.trace_id, ctxt.span_id = record.trace_id, record.span_id
            reply = await self._dispatch(ctxt, env)
            if reply.error is not None:
                record.attributes["error"] = reply.error["type"]
        if env.kind == "call" and env.reply_to:
            await self._send_reply(env.reply_to, reply)

    async def _dispatch(self, ctxt: RequestContext, env: Envelope) -> Reply:
        try:
            msg = self._registry.decode(env.name, env.version, env.args)
        except RemoteExpectedError as exc:  # no handler, or a version or shape we cannot read
            LOG.error("%s on %r cannot be handled: %s", env.name, self.topic, exc)
            await self._failed_cast(ctxt, env, exc)
            return Reply.failure(env.msg_id, exc)
        try:
            result = await self._handlers[type(msg)](ctxt, msg)
        except RemoteExpectedError as exc:
            LOG.info("%s on %r raised %s: %s", env.name, self.topic, exc.wire_name(), exc)
            return Reply.failure(env.msg_id, exc)
        except Exception as exc:
            LOG.exception("%s on %r failed (request %s)", env.name, self.topic, ctxt.request_id)
            await self._failed_cast(ctxt, env, exc)
            return Reply.failure(env.msg_id, exc)
        return Reply(env.msg_id, result=result)

    async def _failed_cast(self, ctxt: RequestContext, env: Envelope, exc: BaseException) -> None:
        if self.on_failed_cast is None or env.kind == "call":
            return
        try:
            await self.on_failed_cast(ctxt, env.name, env.args, exc)
        except Exception:
            LOG.exception("could not clean up after %s on %r", env.name, self.topic)

    async def _send_reply(self, reply_to: str, reply: Reply) -> None:
        try:
            body = reply.encode()
        except (TypeError, ValueError) as exc:
            LOG.error("reply to %s is not JSON: %s", reply.msg_id, exc)
            body = Reply.failure(reply.msg_id, exc).encode()
        try:
            await self.transport.send_reply(reply_to, body)
        except Exception:
            # The caller will time out; nothing else can be done for it from here.
            LOG.exception("could not send the reply to %s", reply.msg_id)
