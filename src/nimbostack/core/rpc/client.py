"""The client side of RPC: call (wait for a reply), cast (one-way) and fanout.

Every client on one transport shares a single reply queue, opened on the first call.
Each send records a tracing span (``rpc.call BuildInstance``) whose ids travel in the
envelope's ``traceparent`` and context, so the handler's span becomes its child.
"""

from __future__ import annotations

import asyncio
import itertools
import uuid
import weakref
from contextlib import AbstractContextManager
from typing import Any

from nimbostack.core import tracing
from nimbostack.core.context import RequestContext
from nimbostack.core.rpc.envelope import Envelope, Kind, Reply
from nimbostack.core.rpc.errors import ConnectionLost, MalformedMessage, MessagingTimeout
from nimbostack.core.rpc.messages import Message
from nimbostack.core.rpc.transport import Transport


class _ReplyRouter:
    """Owns a transport's reply queue and hands each reply to the call awaiting it."""

    def __init__(self) -> None:
        self._address: str | None = None
        self._lock = asyncio.Lock()
        self._pending: dict[str, tuple[asyncio.Future[Reply], str, str]] = {}

    async def address(self, transport: Transport) -> str:
        if self._address is None:
            async with self._lock:
                if self._address is None:
                    self._address = await transport.open_reply_queue(self._on_reply)
                    transport.add_disconnect_listener(self._on_disconnect)
        return self._address

    def expect(self, msg_id: str, topic: str, name: str) -> asyncio.Future[Reply]:
        future: asyncio.Future[Reply] = asyncio.get_running_loop().create_future()
        self._pending[msg_id] = (future, topic, name)
        return future

    def forget(self, msg_id: str) -> None:
        self._pending.pop(msg_id, None)

    def _on_reply(self, body: bytes) -> None:
        try:
            reply = Reply.decode(body)
        except MalformedMessage:
            return  # nobody can be told: the call it answers will time out
        entry = self._pending.get(reply.msg_id)
        if entry is not None and not entry[0].done():
            entry[0].set_result(reply)

    def _on_disconnect(self) -> None:
        # The broker deletes an exclusive reply queue with its connection, so replies
        # to calls in flight are gone: fail them now instead of at their timeout.
        for future, topic, name in self._pending.values():
            if not future.done():
                future.set_exception(ConnectionLost(topic, name))


_routers: weakref.WeakKeyDictionary[Transport, _ReplyRouter] = weakref.WeakKeyDictionary()


def _router_for(transport: Transport) -> _ReplyRouter:
    router = _routers.get(transport)
    if router is None:
        router = _routers[transport] = _ReplyRouter()
    return router


class RpcClient:
    """Sends typed messages to one topic (or, per send, to another one).

    ``timeout`` is the default wait for a call's reply; ``service`` names the caller in
    tracing spans.
    """

    def __init__(
        self,
        transport: Transport,
        topic: str,
        *,
        timeout: float = 60.0,
        service: str = "rpc-client",
    ) -> None:
        self.transport = transport
        self.topic = topic
        self.timeout = timeout
        self.service = service

    async def call(
        self,
        ctxt: RequestContext,
        msg: Message,
        *,
        timeout: float | None = None,
        topic: str | None = None,
    ) -> Any:
        """Send ``msg`` to one server of the topic and return its handler's JSON result.

        Raises `MessagingTimeout` when no reply comes in time, the handler's
        `RemoteExpectedError` subclass as itself, and any other handler error as
        `RemoteError`.
        """
        target = topic or self.topic
        limit = self.timeout if timeout is None else timeout
        await self.transport.connect()
        router = _router_for(self.transport)
        with self._span("call", ctxt, msg, target) as record:
            reply_to = await router.address(self.transport)
            env = _envelope("call", ctxt, msg, topic=target, span=record, reply_to=reply_to)
            waiter = router.expect(env.msg_id, target, msg.name)
            try:
                async with asyncio.timeout(limit):
                    # The TTL lets the broker drop a call its caller has given up on.
                    await self.transport.publish(target, env.encode(), durable=False, ttl=limit)
                    reply = await waiter
            except TimeoutError:
                raise MessagingTimeout(target, msg.name, limit) from None
            finally:
                router.forget(env.msg_id)
            return reply.unwrap(topic=target, message_name=msg.name)

    async def cast(self, ctxt: RequestContext, msg: Message, *, topic: str | None = None) -> None:
        """Queue ``msg`` for one server of the topic; the bus holds it once this returns."""
        target = topic or self.topic
        await self.transport.connect()
        with self._span("cast", ctxt, msg, target) as record:
            env = _envelope("cast", ctxt, msg, topic=target, span=record)
            await self.transport.publish(target, env.encode())

    async def fanout(self, ctxt: RequestContext, msg: Message, *, topic: str | None = None) -> None:
        """Send ``msg`` to every server currently listening on the topic."""
        target = topic or self.topic
        await self.transport.connect()
        with self._span("fanout", ctxt, msg, target) as record:
            env = _envelope("fanout", ctxt, msg, topic=target, span=record)
            await self.transport.publish_fanout(target, env.encode())

    def _span(
        self, kind: Kind, ctxt: RequestContext, msg: Message, topic: str
    ) -> AbstractContextManager[tracing.Span]:
        parent = tracing.current()
        if parent is None and ctxt.trace_id and ctxt.span_id:
            # Outside any span (a background task, say) the context still knows the trace.
            parent = tracing.SpanContext(ctxt.trace_id, ctxt.span_id, ctxt.request_id)
        return tracing.span(
            f"rpc.{kind} {msg.name}",
            service=self.service,
            parent=parent,
            request_id=ctxt.request_id,
            topic=topic,
        )


# A random per-process prefix and a counter: unique ids, cheaper than one uuid4 each.
_ID_PREFIX = f"{uuid.uuid4().hex[:16]}."
_counter = itertools.count()


def _envelope(
    kind: Kind,
    ctxt: RequestContext,
    msg: Message,
    *,
    topic: str,
    span: tracing.Span,
    reply_to: str | None = None,
) -> Envelope:
    # The same dict as ctxt.to_dict(), without its deep copy: JSON encoding copies
    # anyway, and the copy alone cost a third of a cast on the in-process bus.
    context = dict(vars(ctxt))
    context["trace_id"], context["span_id"] = span.trace_id, span.span_id
    return Envelope(
        kind=kind,
        name=msg.name,
        version=msg.version,
        args=msg.to_args(),
        context=context,
        traceparent=span.context().traceparent(),
        msg_id=f"{_ID_PREFIX}{next(_counter):x}",
        reply_to=reply_to,
        topic=topic,
    )
