"""Publishing on RabbitMQ that outlives a broker restart: retry until reconnected.

Durable messages (casts) go through a channel with publisher confirms, so a publish
returns only once the broker has the message. Calls and replies use a channel without
confirms, which halves a call's round trip: if one of them is lost, so is the
connection, and the waiting caller hears of it through `ConnectionLost`.

When a publish fails because the connection dropped, it is tried again once aio-pika
has reconnected and restored the channel, until ``timeout``. A lost confirm does not
mean a lost message, so a retried cast may be delivered twice (at least once).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

import aio_pika
from aio_pika.abc import AbstractExchange, AbstractRobustChannel, AbstractRobustConnection
from aio_pika.exceptions import CONNECTION_EXCEPTIONS, DeliveryError, PublishError

from nimbostack.core.rpc.errors import BusUnavailable, DeliveryFailure

LOG = logging.getLogger(__name__)

# The broker's definitive answers: retrying would only get the same answer again.
_REFUSALS = (DeliveryError, PublishError)
_Attempt = Callable[[AbstractRobustChannel], Awaitable[None]]


def fanout_exchange(topic: str) -> str:
    """The name of the fanout exchange of ``topic``."""
    return f"{topic}.fanout"


class Publisher:
    """Sends messages on one robust connection, retrying across reconnections."""

    def __init__(self, connection: AbstractRobustConnection, *, timeout: float) -> None:
        self.timeout = timeout
        self._connection = connection
        self._confirming: AbstractRobustChannel | None = None
        self._unconfirmed: AbstractRobustChannel | None = None
        self._declared: set[str] = set()
        self._exchanges: dict[str, AbstractExchange] = {}

    async def open(self) -> None:
        self._unconfirmed = await self._connection.channel(publisher_confirms=False)
        self._confirming = await self._connection.channel(on_return_raises=True)

    async def to_topic(self, topic: str, body: bytes, *, durable: bool, ttl: float | None) -> None:
        message = aio_pika.Message(
            body,
            content_type="application/json",
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT if durable else None,
            expiration=ttl,
        )

        async def attempt(channel: AbstractRobustChannel) -> None:
            if topic not in self._declared:
                # Declaring first keeps a cast sent before any server started.
                await channel.declare_queue(topic, durable=True, robust=False)
                self._declared.add(topic)
            await channel.default_exchange.publish(message, routing_key=topic)

        await self._with_retry(f"topic {topic!r}", attempt, confirm=durable)

    async def to_fanout(self, topic: str, body: bytes) -> None:
        message = aio_pika.Message(body, content_type="application/json")

        async def attempt(channel: AbstractRobustChannel) -> None:
            exchange = self._exchanges.get(topic)
            if exchange is None:
                exchange = await channel.declare_exchange(
                    fanout_exchange(topic), aio_pika.ExchangeType.FANOUT
                )
                self._exchanges[topic] = exchange
            # No listener is not an error for a fanout, so no mandatory routing.
            await exchange.publish(message, routing_key="", mandatory=False)

        await self._with_retry(f"the fanout of {topic!r}", attempt, confirm=True)

    async def to_queue(self, queue: str, body: bytes) -> None:
        message = aio_pika.Message(body, content_type="application/json")

        async def attempt(channel: AbstractRobustChannel) -> None:
            await channel.default_exchange.publish(message, routing_key=queue, mandatory=False)

        await self._with_retry(f"queue {queue!r}", attempt, confirm=False)

    async def _with_retry(self, what: str, attempt: _Attempt, *, confirm: bool) -> None:
        """Run ``attempt`` on a publishing channel, again after each reconnection."""
        deadline = asyncio.get_running_loop().time() + self.timeout
        while True:
            channel = self._confirming if confirm else self._unconfirmed
            if channel is None:
                raise RuntimeError("the publisher is not open")
            try:
                async with asyncio.timeout_at(deadline):
                    await attempt(channel)
                return
            except _REFUSALS as exc:
                raise DeliveryFailure(f"the broker refused a message to {what}: {exc}") from exc
            except TimeoutError:
                break
            except CONNECTION_EXCEPTIONS as exc:
                LOG.info("publishing to %s failed (%s); retrying once reconnected", what, exc)
            if not await self._ready(channel, deadline):
                break
        raise BusUnavailable(
            f"could not hand a message to {what} within {self.timeout:g} s: RabbitMQ is unreachable"
        )

    async def _ready(self, channel: AbstractRobustChannel, deadline: float) -> bool:
        """Wait until the channel is restored after a reconnection, or the deadline."""
        try:
            async with asyncio.timeout_at(deadline):
                await self._connection.connected.wait()
                await channel.ready()
                # A short pause, so a channel that reports ready but is not usable yet
                # does not turn this into a busy loop.
                await asyncio.sleep(0.05)
        except TimeoutError:
            return False
        return True
