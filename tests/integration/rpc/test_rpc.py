"""The RPC contract, run on every transport: the in-process bus and a real RabbitMQ."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from nimbostack.core import tracing
from nimbostack.core.context import RequestContext
from nimbostack.core.rpc import (
    IncompatibleVersion,
    Message,
    MessagingTimeout,
    NoSuchMessage,
    RemoteError,
    RemoteExpectedError,
    RpcClient,
    handles,
)
from tests.integration.rpc.harness import RpcHarness

pytestmark = pytest.mark.timeout(60)


@dataclass
class Echo(Message):
    """test client -> test server, call: answers with ``value``."""

    name = "Echo"
    version = "1.0"

    value: Any


@dataclass
class Record(Message):
    """test client -> test server, cast or fanout: the server remembers ``n``."""

    name = "Record"
    version = "1.0"

    n: int


@dataclass
class Fail(Message):
    """test client -> test server, call: raises an expected error or a bug."""

    name = "Fail"
    version = "1.0"

    expected: bool


@dataclass
class WhoAmI(Message):
    """test client -> test server, call: describes the context the handler runs in."""

    name = "WhoAmI"
    version = "1.0"


@dataclass
class Sleep(Message):
    """test client -> test server, call or cast: takes ``seconds`` to handle."""

    name = "Sleep"
    version = "1.0"

    seconds: float


@dataclass
class Greet(Message):
    """test client -> test server, call: ``greeting`` was added in 1.1."""

    name = "Greet"
    version = "1.1"

    who: str
    greeting: str = "hello"


class WidgetNotFound(RemoteExpectedError):
    """The expected error of the test contract, re-raised as itself on the caller."""


class Endpoint:
    """A test server's handlers; it records what it saw."""

    def __init__(self) -> None:
        self.records: list[int] = []
        self.sleeping = asyncio.Event()
        self.slept = False

    @handles(Echo)
    async def echo(self, ctxt: RequestContext, msg: Echo) -> Any:
        return msg.value

    @handles(Record)
    async def record(self, ctxt: RequestContext, msg: Record) -> None:
        self.records.append(msg.n)

    @handles(Fail)
    async def fail(self, ctxt: RequestContext, msg: Fail) -> None:
        if msg.expected:
            raise WidgetNotFound("widget w1 does not exist", widget_id="w1")
        raise ValueError("boom")

    @handles(WhoAmI)
    async def who_am_i(self, ctxt: RequestContext, msg: WhoAmI) -> dict[str, Any]:
        current = tracing.current()
        assert current is not None
        return {
            "request_id": ctxt.request_id,
            "user_id": ctxt.user_id,
            "trace_id": ctxt.trace_id,
            "span_id": ctxt.span_id,
            "current_span_id": current.span_id,
        }

    @handles(Sleep)
    async def sleep(self, ctxt: RequestContext, msg: Sleep) -> str:
        self.sleeping.set()
        await asyncio.sleep(msg.seconds)
        self.slept = True
        return "rested"

    @handles(Greet)
    async def greet(self, ctxt: RequestContext, msg: Greet) -> str:
        return f"{msg.greeting} {msg.who}"


async def eventually(check: Callable[[], bool], within: float = 10.0) -> None:
    deadline = time.monotonic() + within
    while not check():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


CTXT = RequestContext(user_id="u1", project_id="p1")
# Records from MARK up are markers: a message sent after the others, so once a listener
# has handled one, it has handled (the handler records first) all it got before it.
MARK = 10_000


async def _drained(client: RpcClient, endpoints: list[Endpoint]) -> None:
    """Cast markers to the shared topic until each competing listener has handled one."""

    def marks_handled() -> int:
        return sum(n >= MARK for e in endpoints for n in e.records)

    async def send_mark(number: int) -> None:
        await client.cast(CTXT, Record(MARK + number))
        await eventually(lambda: marks_handled() == number + 1)

    sent = 0
    while not all(any(n >= MARK for n in e.records) for e in endpoints):
        await send_mark(sent)
        sent += 1


async def test_call_returns_the_handler_result(rpc: RpcHarness) -> None:
    await rpc.server(Endpoint())
    client = await rpc.client()

    result = await client.call(CTXT, Echo({"flavor": "m1.small", "ids": [1, 2]}))

    assert result == {"flavor": "m1.small", "ids": [1, 2]}


async def test_call_without_a_server_times_out_naming_topic_and_message(
    rpc: RpcHarness,
) -> None:
    client = await rpc.client(topic="test.nobody.listens")

    started = time.monotonic()
    with pytest.raises(MessagingTimeout) as caught:
        await client.call(CTXT, Echo(1), timeout=0.3)

    assert time.monotonic() - started < 2.0
    assert str(caught.value) == "no reply from topic 'test.nobody.listens' within 0.3 s to Echo"


async def test_cast_is_handled(rpc: RpcHarness) -> None:
    endpoint = Endpoint()
    await rpc.server(endpoint)
    client = await rpc.client()

    for n in range(3):
        await client.cast(CTXT, Record(n))

    await eventually(lambda: len(endpoint.records) == 3)
    assert sorted(endpoint.records) == [0, 1, 2]


async def test_fanout_reaches_every_listener(rpc: RpcHarness) -> None:
    endpoints = [Endpoint() for _ in range(3)]
    for endpoint in endpoints:
        await rpc.server(endpoint)
    client = await rpc.client()

    await client.fanout(CTXT, Record(7))
    await client.fanout(CTXT, Record(MARK))  # queued behind 7, and any copy of it

    await eventually(lambda: all(MARK in e.records for e in endpoints))
    assert [e.records for e in endpoints] == [[7, MARK]] * 3


async def test_competing_servers_share_a_topic(rpc: RpcHarness) -> None:
    first, second = Endpoint(), Endpoint()
    await rpc.server(first)
    await rpc.server(second)
    client = await rpc.client()

    for n in range(40):
        await client.cast(CTXT, Record(n))

    await eventually(lambda: len(first.records) + len(second.records) == 40)
    await _drained(client, [first, second])
    assert sorted(n for n in first.records + second.records if n < MARK) == list(range(40))
    assert len(first.records) >= 5 and len(second.records) >= 5


async def test_server_on_a_host_gets_its_host_topic(rpc: RpcHarness) -> None:
    on_h1, on_h2 = Endpoint(), Endpoint()
    await rpc.server(on_h1, host="h1")
    await rpc.server(on_h2, host="h2")
    client = await rpc.client()

    for n in range(5):
        await client.cast(CTXT, Record(n), topic=f"{rpc.topic}.h2")

    await eventually(lambda: len(on_h2.records) == 5)
    assert on_h1.records == []


async def test_unexpected_remote_exception_becomes_remote_error(rpc: RpcHarness) -> None:
    await rpc.server(Endpoint())
    client = await rpc.client()

    with pytest.raises(RemoteError) as caught:
        await client.call(CTXT, Fail(expected=False))

    assert (caught.value.exc_type, caught.value.value) == ("ValueError", "boom")
    assert str(caught.value) == f"ValueError from topic {rpc.topic!r} handling Fail: boom"


async def test_expected_remote_exception_is_reraised_as_its_type(rpc: RpcHarness) -> None:
    await rpc.server(Endpoint())
    client = await rpc.client()

    with pytest.raises(WidgetNotFound) as caught:
        await client.call(CTXT, Fail(expected=True))

    assert str(caught.value) == "widget w1 does not exist"
    assert caught.value.details == {"widget_id": "w1"}


async def test_context_request_id_and_trace_travel_with_a_call(rpc: RpcHarness) -> None:
    await rpc.server(Endpoint())
    client = await rpc.client()
    ctxt = RequestContext(user_id="u42")

    with tracing.span("test.request", service="test") as outer:
        seen = await client.call(ctxt, WhoAmI())

    spans = {s.span_id: s for s in tracing.recent_spans() if s.trace_id == outer.trace_id}
    handle = spans[seen["span_id"]]
    call = spans[handle.parent_id or ""]
    assert (seen["request_id"], seen["user_id"]) == (ctxt.request_id, "u42")
    assert seen["trace_id"] == outer.trace_id
    assert seen["current_span_id"] == seen["span_id"]
    assert (handle.name, handle.service, handle.request_id) == (
        "rpc.handle WhoAmI",
        "test-server",
        ctxt.request_id,
    )
    assert (call.name, call.parent_id) == ("rpc.call WhoAmI", outer.span_id)


async def test_context_travels_with_a_cast(rpc: RpcHarness) -> None:
    await rpc.server(Endpoint())
    client = await rpc.client()

    with tracing.span("test.request", service="test") as outer:
        await client.cast(CTXT, Record(1))

    def handled() -> list[tracing.Span]:
        return [
            s
            for s in tracing.recent_spans()
            if s.trace_id == outer.trace_id and s.name == "rpc.handle Record" and s.end
        ]

    await eventually(lambda: bool(handled()))
    assert handled()[0].request_id == CTXT.request_id


async def test_unknown_message_is_refused(rpc: RpcHarness) -> None:
    @dataclass
    class Teleport(Message):
        name = "Teleport"
        version = "1.0"

    await rpc.server(Endpoint())
    client = await rpc.client()

    with pytest.raises(NoSuchMessage, match="no handler for message 'Teleport'"):
        await client.call(CTXT, Teleport())


async def test_incompatible_major_version_is_refused(rpc: RpcHarness) -> None:
    @dataclass
    class EchoV2(Message):
        name = "Echo"
        version = "2.0"

        value: Any

    await rpc.server(Endpoint())
    client = await rpc.client()

    with pytest.raises(IncompatibleVersion) as caught:
        await client.call(CTXT, EchoV2(1))

    assert "Echo 2.0 cannot be handled here: this server speaks Echo 1.0" in str(caught.value)
    assert caught.value.details == {"sent": "2.0", "supported": "1.0"}


async def test_newer_minor_version_fields_are_ignored(rpc: RpcHarness) -> None:
    @dataclass
    class EchoV13(Message):
        name = "Echo"
        version = "1.3"

        value: Any
        colour: str = "red"

    await rpc.server(Endpoint())
    client = await rpc.client()

    assert await client.call(CTXT, EchoV13("x", colour="blue")) == "x"


async def test_older_minor_version_gets_defaults(rpc: RpcHarness) -> None:
    @dataclass
    class GreetV10(Message):
        name = "Greet"
        version = "1.0"

        who: str

    await rpc.server(Endpoint())
    client = await rpc.client()

    assert await client.call(CTXT, GreetV10("ada")) == "hello ada"


async def test_server_stop_drains_running_handlers(rpc: RpcHarness) -> None:
    endpoint = Endpoint()
    server = await rpc.server(endpoint)
    client = await rpc.client()

    call = asyncio.create_task(client.call(CTXT, Sleep(0.3)))
    await asyncio.wait_for(endpoint.sleeping.wait(), 5)
    await server.stop()

    assert endpoint.slept
    assert await call == "rested"


async def test_a_failing_cast_does_not_stop_the_server(rpc: RpcHarness) -> None:
    await rpc.server(Endpoint())
    client = await rpc.client()

    await client.cast(CTXT, Fail(expected=False))

    assert await client.call(CTXT, Echo("still here")) == "still here"
