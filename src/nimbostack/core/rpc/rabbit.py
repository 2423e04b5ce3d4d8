"""The AMQP transport: RPC topics, fanout and replies on RabbitMQ through aio-pika.

Broker layout:

- topic ``T``: a durable queue named ``T`` behind the default exchange; its servers
  compete for it. Casts are persistent and publisher-confirmed, so a cast whose
  publish returned survives a broker restart.
- fanout of ``T``: a fanout exchange ``T.fanout``; each listener binds its own
  exclusive, auto-deleted queue.
- replies: one exclusive, auto-deleted queue ``reply.<uuid>`` per transport.

Consumers acknowledge a message after its handler ran, so delivery is at least once.
The connection is robust: after a broker restart aio-pika reconnects, re-declares
queues and exchanges and restores consumers, and publishing waits for that (see
`rabbit_publisher`). With several hosts in the URL, the first reachable one is used;
reconnection goes back to that same host.
"""

from __future__ import annotations

import asyncio
import logging
import os
import uuid
from collections.abc import Awaitable, Callable

import aio_pika
from aio_pika.abc import (
    AbstractChannel,
    AbstractIncomingMessage,
    AbstractQueue,
    AbstractRobustConnection,
)
from aio_pika.exceptions import CONNECTION_EXCEPTIONS

from nimbostack.core.rpc.errors import BusUnavailable
from nimbostack.core.rpc.rabbit_publisher import Publisher, fanout_exchange
from nimbostack.core.rpc.transport import OnMessage, OnReply, Subscription, Transport

LOG = logging.getLogger(__name__)


def amqp_urls(url: str) -> list[str]:
    """Split ``rabbit://user:pass@h1:5672,h2:5672/vhost?opts`` into one AMQP URL per host."""
    _, _, rest = url.partition("://")
    netloc, slash, tail = rest.partition("/")
    credentials, at, hosts = netloc.rpartition("@")
    prefix = f"amqp://{credentials}{at}"
    return [f"{prefix}{host}{slash}{tail}" for host in hosts.split(",") if host]


def _redact(url: str) -> str:
    _, at, rest = url.rpartition("@")
    return f"amqp://***@{rest}" if at else url


class _Subscription(Subscription):
    """One consumer on its own channel, so each has its own prefetch."""

    def __init__(self, channel: AbstractChannel, queue: AbstractQueue, tag: str) -> None:
        self._channel = channel
        self._queue = queue
        self._tag: str | None = tag

    async def cancel(self) -> None:
        tag, self._tag = self._tag, None
        if tag is not None:
            try:
                await self._queue.cancel(tag)
            except CONNECTION_EXCEPTIONS as exc:
                LOG.warning("could not cancel the consumer on %s: %s", self._queue.name, exc)

    async def close(self) -> None:
        await self.cancel()
        if not self._channel.is_closed:
            await self._channel.close()


def _deliverer(on_message: OnMessage) -> Callable[[AbstractIncomingMessage], Awaitable[None]]:
    async def deliver(message: AbstractIncomingMessage) -> None:
        try:
            await on_message(message.body)
        except Exception:
            # Handlers report their own errors; requeueing a message that breaks the
            # handler would only loop, so it is acknowledged like any other.
            LOG.exception("message handler failed on %s", message.routing_key)
        try:
            await message.ack()
        except CONNECTION_EXCEPTIONS as exc:
            LOG.warning("could not acknowledge (the broker will redeliver): %s", exc)

    return deliver


class RabbitTransport(Transport):
    """AMQP transport on RabbitMQ; see the module docstring for the broker layout."""

    def __init__(
        self,
        url: str,
        *,
        publish_timeout: float = 60.0,
        reconnect_interval: float = 1.0,
        connect_timeout: float = 10.0,
    ) -> None:
        self.url = url
        self.publish_timeout = publish_timeout
        self._urls = amqp_urls(url)
        if not self._urls:
            raise ValueError(f"transport URL {url!r} names no host")
        self._reconnect_interval = reconnect_interval
        self._connect_timeout = connect_timeout
        self._lock = asyncio.Lock()
        self._connection: AbstractRobustConnection | None = None
        self._publisher: Publisher | None = None
        self._subscriptions: list[_Subscription] = []
        self._listeners: list[Callable[[], None]] = []
        self._closing = False
        self._up = True

    async def connect(self) -> None:
        if self._publisher is not None:
            return
        if self._closing:
            raise RuntimeError("a closed transport cannot be reopened; make a new one")
        async with self._lock:
            if self._publisher is None:
                connection = await self._open_connection()
                connection.close_callbacks.add(self._on_connection_close)
                connection.reconnect_callbacks.add(self._on_reconnect)
                publisher = Publisher(connection, timeout=self.publish_timeout)
                await publisher.open()
                self._connection, self._publisher = connection, publisher

    async def _open_connection(self) -> AbstractRobustConnection:
        failures = []
        for url in self._urls:
            try:
                return await aio_pika.connect_robust(
                    url,
                    reconnect_interval=self._reconnect_interval,
                    timeout=self._connect_timeout,
                    client_properties={"connection_name": f"nimbostack pid {os.getpid()}"},
                )
            except CONNECTION_EXCEPTIONS as exc:
                failures.append(f"{_redact(url)}: {exc or type(exc).__name__}")
        raise BusUnavailable(f"cannot connect to RabbitMQ ({'; '.join(failures)})")

    def _on_connection_close(self, _sender: object, exc: BaseException | None) -> None:
        # aio-pika reports every failed reconnection attempt too; tell listeners once.
        if self._closing or not self._up:
            return
        self._up = False
        LOG.warning("lost the RabbitMQ connection (%s); reconnecting", exc)
        for listener in self._listeners:
            listener()

    def _on_reconnect(self, _sender: object) -> None:
        self._up = True
        LOG.info("reconnected to RabbitMQ")

    def add_disconnect_listener(self, listener: Callable[[], None]) -> None:
        self._listeners.append(listener)

    async def close(self) -> None:
        self._closing = True
        for subscription in self._subscriptions:
            await subscription.close()
        self._subscriptions.clear()
        if self._connection is not None:
            await self._connection.close()
        self._connection = self._publisher = None

    @property
    def _conn(self) -> AbstractRobustConnection:
        if self._connection is None:
            raise RuntimeError(f"transport {_redact(self._urls[0])} is not connected")
        return self._connection

    async def _consumer_channel(self, prefetch: int) -> AbstractChannel:
        channel = await self._conn.channel(publisher_confirms=False)
        await channel.set_qos(prefetch_count=prefetch)
        return channel

    async def _subscribe(
        self, channel: AbstractChannel, queue: AbstractQueue, on_message: OnMessage
    ) -> Subscription:
        tag = await queue.consume(_deliverer(on_message))
        subscription = _Subscription(channel, queue, tag)
        self._subscriptions.append(subscription)
        return subscription

    async def consume(self, topic: str, on_message: OnMessage, *, prefetch: int) -> Subscription:
        channel = await self._consumer_channel(prefetch)
        queue = await channel.declare_queue(topic, durable=True)
        return await self._subscribe(channel, queue, on_message)

    async def consume_fanout(
        self, topic: str, on_message: OnMessage, *, prefetch: int
    ) -> Subscription:
        channel = await self._consumer_channel(prefetch)
        exchange = await channel.declare_exchange(
            fanout_exchange(topic), aio_pika.ExchangeType.FANOUT
        )
        queue = await channel.declare_queue(
            f"{topic}.fanout.{uuid.uuid4().hex}", exclusive=True, auto_delete=True
        )
        await queue.bind(exchange)
        return await self._subscribe(channel, queue, on_message)

    async def open_reply_queue(self, on_reply: OnReply) -> str:
        channel = await self._conn.channel(publisher_confirms=False)
        queue = await channel.declare_queue(
            f"reply.{uuid.uuid4().hex}", exclusive=True, auto_delete=True
        )

        async def deliver(message: AbstractIncomingMessage) -> None:
            on_reply(message.body)

        tag = await queue.consume(deliver, no_ack=True)
        self._subscriptions.append(_Subscription(channel, queue, tag))
        return queue.name

    async def publish(
        self, topic: str, body: bytes, *, durable: bool = True, ttl: float | None = None
    ) -> None:
        publisher = await self._connected_publisher()
        await publisher.to_topic(topic, body, durable=durable, ttl=ttl)

    async def publish_fanout(self, topic: str, body: bytes) -> None:
        publisher = await self._connected_publisher()
        await publisher.to_fanout(topic, body)

    async def send_reply(self, reply_to: str, body: bytes) -> None:
        publisher = await self._connected_publisher()
        await publisher.to_queue(reply_to, body)

    async def _connected_publisher(self) -> Publisher:
        await self.connect()
        if self._publisher is None:
            raise RuntimeError("the transport was closed while connecting")
        return self._publisher
