"""The transport interface that moves message bytes, and the choice of one by URL.

A transport knows nothing of messages, contexts or replies' meaning: it moves opaque
bytes between topics, like httpx's pluggable transports move HTTP bytes. Three
delivery shapes exist:

- topic queues: every server on a topic competes, each message goes to exactly one;
- fanout: every listener of a topic gets its own copy;
- reply queues: one private queue per client connection, addressed by name.

Implementations: `memory://` (in-process, the embedded default) and
`rabbit://user:pass@host:5672/vhost` (AMQP on RabbitMQ; ``host1:5672,host2:5672``
lists several brokers, tried in order when connecting); ``bus.get_transport`` picks
one by URL.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from types import TracebackType

#: Called for each delivered message; the transport acknowledges it once this returns.
OnMessage = Callable[[bytes], Awaitable[None]]
#: Called for each reply that reaches a reply queue.
OnReply = Callable[[bytes], None]


def host_topic(topic: str, host: str) -> str:
    """The topic of the process ``topic`` on one host: ``compute.agent.<host>``."""
    return f"{topic}.{host}"


class Subscription(ABC):
    """A running consumer: stop deliveries first, release it once handlers are done."""

    @abstractmethod
    async def cancel(self) -> None:
        """Stop new deliveries; messages already handed over keep running."""

    @abstractmethod
    async def close(self) -> None:
        """Release the consumer; unacknowledged messages go back to the topic."""


class Transport(ABC):
    """Moves message bytes between topics; one instance per process and bus."""

    url: str

    @abstractmethod
    async def connect(self) -> None:
        """Open the connection; idempotent, so every user may call it first."""

    @abstractmethod
    async def close(self) -> None:
        """Close the connection and every consumer opened through it.

        A closed transport is done with: make a new one to connect again.
        """

    @abstractmethod
    async def consume(self, topic: str, on_message: OnMessage, *, prefetch: int) -> Subscription:
        """Compete for the messages of ``topic``, at most ``prefetch`` at a time."""

    @abstractmethod
    async def consume_fanout(
        self, topic: str, on_message: OnMessage, *, prefetch: int
    ) -> Subscription:
        """Receive a copy of every fanout message sent to ``topic`` from now on."""

    @abstractmethod
    async def publish(
        self, topic: str, body: bytes, *, durable: bool = True, ttl: float | None = None
    ) -> None:
        """Queue ``body`` for one consumer of ``topic``; returns once the bus holds it.

        ``durable`` messages survive a broker restart; ``ttl`` (seconds) lets the bus
        drop a message nobody took in time, such as a call its caller gave up on.
        """

    @abstractmethod
    async def publish_fanout(self, topic: str, body: bytes) -> None:
        """Send ``body`` to every current listener of ``topic``; none is not an error."""

    @abstractmethod
    async def open_reply_queue(self, on_reply: OnReply) -> str:
        """Create this connection's private reply queue; returns its address."""

    @abstractmethod
    async def send_reply(self, reply_to: str, body: bytes) -> None:
        """Send a reply to a reply queue; a vanished queue drops it silently."""

    def add_disconnect_listener(self, listener: Callable[[], None]) -> None:  # noqa: B027
        """Be told when the connection drops (replies in flight are then lost).

        The in-process transport never disconnects, so the default ignores listeners.
        """

    async def __aenter__(self) -> Transport:
        await self.connect()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()
