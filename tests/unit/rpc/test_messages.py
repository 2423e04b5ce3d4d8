"""Message (de)coding, versions, the wire envelope and the error registry, without a bus."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from nimbostack.core.errors import ConfigError
from nimbostack.core.rpc import (
    IncompatibleVersion,
    MalformedMessage,
    Message,
    MessageRegistry,
    NoSuchMessage,
    RemoteError,
    RemoteExpectedError,
    RpcServer,
    decode_reply,
    get_transport,
    handles,
)
from nimbostack.core.rpc.envelope import Envelope, Reply
from nimbostack.core.rpc.rabbit import amqp_urls


@dataclass
class Port:
    id: str
    fixed_ips: list[str] = field(default_factory=list)


@dataclass
class Flavor:
    vcpus: int
    ram_mb: int


@dataclass
class BuildThing(Message):
    """test -> test, cast: a message with nested dataclasses."""

    name = "BuildThing"
    version = "1.2"

    uuid: str
    flavor: Flavor
    ports: list[Port]
    image: Flavor | None = None
    extra: dict[str, Any] = field(default_factory=dict)


REGISTRY = MessageRegistry([BuildThing])


def round_trip(msg: Message) -> Message:
    sent = Envelope("cast", msg.name, msg.version, msg.to_args(), {}, None, "m1", None, "t")
    received = Envelope.decode(sent.encode())
    return REGISTRY.decode(received.name, received.version, received.args)


def test_nested_dataclasses_survive_the_wire() -> None:
    msg = BuildThing("u1", Flavor(2, 2048), [Port("p1", ["10.0.0.5"])], extra={"k": [1]})

    assert round_trip(msg) == msg


def test_unknown_name_is_no_such_message() -> None:
    with pytest.raises(NoSuchMessage, match="no handler for message 'Nope'"):
        REGISTRY.decode("Nope", "1.0", {})


def test_other_major_version_is_incompatible() -> None:
    with pytest.raises(IncompatibleVersion, match=r"BuildThing 2.0 cannot be handled here"):
        REGISTRY.decode("BuildThing", "2.0", {})


def test_unknown_fields_are_refused_unless_sent_by_a_newer_minor_version() -> None:
    args = {"uuid": "u", "flavor": {"vcpus": 1, "ram_mb": 1}, "ports": [], "colour": "red"}

    assert REGISTRY.decode("BuildThing", "1.3", args) == BuildThing("u", Flavor(1, 1), [])
    with pytest.raises(MalformedMessage, match=r"BuildThing 1.2 has unknown fields: colour"):
        REGISTRY.decode("BuildThing", "1.2", args)


def test_missing_required_field_is_malformed() -> None:
    with pytest.raises(MalformedMessage, match=r"BuildThing 1\.0 cannot be built: .*'ports'"):
        REGISTRY.decode("BuildThing", "1.0", {"uuid": "u", "flavor": {"vcpus": 1, "ram_mb": 1}})


def test_version_must_be_major_dot_minor() -> None:
    with pytest.raises(ValueError, match=r"'1' is not of the form 'major.minor'"):

        class Bad(Message):
            name = "Bad"
            version = "1"


def test_one_name_cannot_map_to_two_classes() -> None:
    @dataclass
    class Twin(Message):
        name = "BuildThing"

    with pytest.raises(TypeError, match="message name 'BuildThing' is used by both"):
        MessageRegistry([BuildThing, Twin])


def test_remote_error_names_are_unique() -> None:
    class GadgetMissing(RemoteExpectedError):
        pass

    with pytest.raises(TypeError, match="remote error name 'GadgetMissing' is used by both"):

        class Other(RemoteExpectedError):
            remote_name = "GadgetMissing"


def test_expected_error_is_rebuilt_without_its_constructor() -> None:
    class QuotaSpent(RemoteExpectedError):
        def __init__(self, project: str) -> None:
            super().__init__(f"project {project} is out of quota", project=project)

    body = Reply.failure("m1", QuotaSpent("p1")).encode()

    with pytest.raises(QuotaSpent, match="project p1 is out of quota") as caught:
        Reply.decode(body).unwrap(topic="t", message_name="M")
    assert caught.value.details == {"project": "p1"}


def test_unregistered_error_becomes_remote_error() -> None:
    body = Reply.failure("m1", KeyError("k")).encode()

    with pytest.raises(RemoteError, match="KeyError from topic 't' handling M: 'k'"):
        Reply.decode(body).unwrap(topic="t", message_name="M")


@pytest.mark.parametrize(
    "body",
    [b"not json", b"[]", b'{"kind": "call"}', b'{"kind":"x","name":"n","version":"1.0",'
     b'"msg_id":"m","topic":"t"}'],
)  # fmt: skip
def test_garbage_envelopes_are_malformed(body: bytes) -> None:
    with pytest.raises(MalformedMessage):
        Envelope.decode(body)


def test_transport_url_scheme_is_checked() -> None:
    with pytest.raises(ConfigError, match="'kafka://h' has an unknown scheme"):
        get_transport("kafka://h")


def test_rabbit_url_may_list_several_hosts() -> None:
    assert amqp_urls("rabbit://u:p@h1:5672,h2:5673/vh?heartbeat=10") == [
        "amqp://u:p@h1:5672/vh?heartbeat=10",
        "amqp://u:p@h2:5673/vh?heartbeat=10",
    ]


def test_endpoint_needs_handlers() -> None:
    class Empty:
        pass

    with pytest.raises(TypeError, match="Empty has no @handles methods"):
        RpcServer(get_transport("memory://"), "t", Empty(), service="s")


def test_one_message_one_handler() -> None:
    class Twice:
        @handles(BuildThing)
        async def one(self, ctxt: object, msg: BuildThing) -> None: ...

        @handles(BuildThing)
        async def two(self, ctxt: object, msg: BuildThing) -> None: ...

    with pytest.raises(TypeError, match="Twice handles BuildThing twice"):
        RpcServer(get_transport("memory://"), "t", Twice(), service="s")


def test_messages_defined_in_a_function_decode_as_plain_json() -> None:
    @dataclass
    class Inner:
        x: int

    @dataclass
    class Local(Message):
        name = "Local"

        inner: Inner

    decoded = MessageRegistry([Local]).decode("Local", "1.0", {"inner": {"x": 1}})

    assert decoded == Local(inner={"x": 1})  # type: ignore[arg-type]


def test_a_reply_is_rebuilt_as_its_dataclass_with_nested_ones() -> None:
    @dataclass
    class Wired:
        ports: list[Port]
        flavor: Flavor | None = None

    raw = {"ports": [{"id": "p1", "fixed_ips": ["10.0.0.5"]}], "flavor": None, "newer": 1}
    assert decode_reply(Wired, raw) == Wired([Port("p1", ["10.0.0.5"])])
    with pytest.raises(MalformedMessage, match="reply is not an object"):
        decode_reply(Wired, ["not", "an", "object"])
