"""The in-process transport: asyncio queues standing in for a broker.

All `MemoryTransport` instances with the same URL in one event loop share one bus
(``memory://`` is the default bus, ``memory://name`` a separate one), so a client and
a server built from the same transport URL reach each other as they would over
RabbitMQ. Bytes still pass through JSON, so the embedded cloud exercises the same
encoding as a multi-machine one.

Behaviour that differs from RabbitMQ, on purpose:

- a message sent to a topic nobody consumes waits in the topic's queue until a server
  starts; a call to such a topic therefore ends in `MessagingTimeout`, as it would on
  a broker, rather than failing at once;
- nothing is persisted and ``ttl`` is ignored: the bus lives and dies with the process;
- the connection never drops.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field

from nimbostack.core.rpc.transport import OnMessage, OnReply, Subscription, Transport

LOG = logging.getLogger(__name__)


@dataclass
class _Bus:
    """The shared state of one in-process bus."""

    topics: dict[str, asyncio.Queue[bytes]] = field(default_factory=dict)
    fanout: dict[str, set[asyncio.Queue[bytes]]] = field(default_factory=dict)
    replies: dict[str, OnReply] = field(default_factory=dict)

    def topic_queue(self, topic: str) -> asyncio.Queue[bytes]:
        queue = self.topics.get(topic)
        if queue is None:
            queue = self.topics[topic] = asyncio.Queue()
        return queue


# asyncio queues belong to one loop, so each loop (each test, say) gets its own buses.
_buses: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, _Bus]] = (
    weakref.WeakKeyDictionary()
)


def _bus_for(url: str) -> _Bus:
    per_loop = _buses.setdefault(asyncio.get_running_loop(), {})
    bus = per_loop.get(url)
    if bus is None:
        bus = per_loop[url] = _Bus()
    return bus


class _Consumer(Subscription):
    """Pulls from one queue and runs up to ``prefetch`` handlers at once."""

    def __init__(
        self,
        queue: asyncio.Queue[bytes],
        on_message: OnMessage,
        prefetch: int,
        release: Callable[[], None] | None = None,
    ) -> None:
        self._queue = queue
        self._on_message = on_message
        self._slots = asyncio.Semaphore(prefetch)
        self._handlers: set[asyncio.Task[None]] = set()
        self._release = release
        self._pump = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while True:
            # Take a slot before a message, so a busy consumer leaves messages in the
            # queue for its competitors instead of hoarding them.
            await self._slots.acquire()
            body = await self._queue.get()
            task = asyncio.create_task(self._handle(body))
            self._handlers.add(task)
            task.add_done_callback(self._handlers.discard)
            if not self._queue.empty():
                # Let competing consumers take the next message, round-robin like a
                # broker, instead of this one draining the backlog up to its prefetch.
                await asyncio.sleep(0)

    async def _handle(self, body: bytes) -> None:
        try:
            await self._on_message(body)
        except Exception:
            LOG.exception("message handler failed; the message is dropped")
        finally:
            self._slots.release()

    async def cancel(self) -> None:
        self._pump.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._pump

    async def close(self) -> None:
        await self.cancel()
        if self._release is not None:
            self._release()
            self._release = None
        for task in list(self._handlers):
            task.cancel()
        await asyncio.gather(*self._handlers, return_exceptions=True)


class MemoryTransport(Transport):
    """In-process transport over asyncio queues; see the module docstring."""

    def __init__(self, url: str = "memory://") -> None:
        self.url = url
        self._bus: _Bus | None = None
        self._subscriptions: list[_Consumer] = []
        self._reply_names: list[str] = []

    @property
    def bus(self) -> _Bus:
        if self._bus is None:
            raise RuntimeError(f"transport {self.url} is not connected")
        return self._bus

    async def connect(self) -> None:
        if self._bus is None:
            self._bus = _bus_for(self.url)

    async def close(self) -> None:
        for consumer in self._subscriptions:
            await consumer.close()
        self._subscriptions.clear()
        if self._bus is not None:
            for name in self._reply_names:
                self._bus.replies.pop(name, None)
        self._reply_names.clear()

    async def consume(self, topic: str, on_message: OnMessage, *, prefetch: int) -> Subscription:
        consumer = _Consumer(self.bus.topic_queue(topic), on_message, prefetch)
        self._subscriptions.append(consumer)
        return consumer

    async def consume_fanout(
        self, topic: str, on_message: OnMessage, *, prefetch: int
    ) -> Subscription:
        queue: asyncio.Queue[bytes] = asyncio.Queue()
        listeners = self.bus.fanout.setdefault(topic, set())
        listeners.add(queue)
        consumer = _Consumer(queue, on_message, prefetch, lambda: listeners.discard(queue))
        self._subscriptions.append(consumer)
        return consumer

    async def publish(
        self, topic: str, body: bytes, *, durable: bool = True, ttl: float | None = None
    ) -> None:
        self.bus.topic_queue(topic).put_nowait(body)

    async def publish_fanout(self, topic: str, body: bytes) -> None:
        for queue in self.bus.fanout.get(topic, ()):
            queue.put_nowait(body)

    async def open_reply_queue(self, on_reply: OnReply) -> str:
        name = f"reply.{uuid.uuid4().hex}"
        self.bus.replies[name] = on_reply
        self._reply_names.append(name)
        return name

    async def send_reply(self, reply_to: str, body: bytes) -> None:
        on_reply = self.bus.replies.get(reply_to)
        if on_reply is not None:
            on_reply(body)
