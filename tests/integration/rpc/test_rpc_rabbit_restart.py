"""Casts survive a RabbitMQ restart, and clients and servers reconnect by themselves.

Delivery is at least once: a cast whose confirm was lost with the connection is
published again, and a message whose handler ran but whose ack was lost is delivered
again. So the test requires every cast to arrive, and tolerates duplicates.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from nimbostack.core.context import RequestContext
from nimbostack.core.rpc import (
    ConnectionLost,
    Message,
    RpcClient,
    RpcServer,
    Transport,
    get_transport,
    handles,
)
from tests.support.rabbitmq import RabbitBroker

pytestmark = [pytest.mark.rabbit, pytest.mark.timeout(90)]


@dataclass
class Record(Message):
    """test client -> test server, cast: the server remembers ``n``."""

    name = "Record"
    version = "1.0"

    n: int


@dataclass
class Sleep(Message):
    """test client -> test server, call: takes ``seconds`` to answer."""

    name = "Sleep"
    version = "1.0"

    seconds: float


class Endpoint:
    """Remembers every ``Record`` it handled, duplicates included."""

    def __init__(self) -> None:
        self.seen: list[int] = []
        self.sleeping = asyncio.Event()

    @handles(Record)
    async def record(self, ctxt: RequestContext, msg: Record) -> int:
        self.seen.append(msg.n)
        return msg.n

    @handles(Sleep)
    async def sleep(self, ctxt: RequestContext, msg: Sleep) -> str:
        self.sleeping.set()
        await asyncio.sleep(msg.seconds)
        return "rested"


async def eventually(check: Callable[[], bool], within: float) -> None:
    deadline = time.monotonic() + within
    while not check():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)


async def connected(url: str, transports: list[Transport]) -> Transport:
    transport = get_transport(url)
    await transport.connect()
    transports.append(transport)
    return transport


async def test_casts_survive_a_broker_restart(rabbit_server: RabbitBroker) -> None:
    topic = f"test.restart.{uuid.uuid4().hex[:8]}"
    parked_topic = f"{topic}.parked"  # no server while the broker restarts
    ctxt = RequestContext()
    transports: list[Transport] = []
    live, parked = Endpoint(), Endpoint()
    server = RpcServer(await connected(rabbit_server.url, transports), topic, live, service="test")
    await server.start()
    client = RpcClient(await connected(rabbit_server.url, transports), topic, timeout=30)
    try:
        for n in range(50):
            await client.cast(ctxt, Record(n), topic=parked_topic)
        in_flight = asyncio.create_task(client.call(ctxt, Sleep(5)))
        await asyncio.wait_for(live.sleeping.wait(), 10)

        restart = asyncio.create_task(asyncio.to_thread(rabbit_server.restart))
        sent = 0
        # Keep casting through the outage: these return only once the broker has them.
        while not restart.done() or sent < 100:
            await client.cast(ctxt, Record(sent))
            sent += 1
            await asyncio.sleep(0.02)
        await restart

        with pytest.raises(ConnectionLost):
            await in_flight
        await eventually(lambda: set(live.seen) >= set(range(sent)), within=30)
        assert await client.call(ctxt, Record(-1)) == -1

        parked_server = RpcServer(transports[0], parked_topic, parked, service="test")
        await parked_server.start()
        await eventually(lambda: set(parked.seen) >= set(range(50)), within=15)
        await parked_server.stop()
    finally:
        await server.stop()
        for transport in transports:
            await transport.close()
