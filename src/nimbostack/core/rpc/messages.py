"""Typed RPC messages: the `Message` base class, versions, and decoding by name.

A message is a dataclass with two class variables::

    @dataclass
    class BuildInstance(Message):
        \"\"\"conductor -> compute.agent.<host>, cast: build and start one instance.\"\"\"

        name = "BuildInstance"
        version = "1.1"

        instance_uuid: str
        image_ref: str | None = None   # added in 1.1, so it has a default

Fields hold JSON values; a field typed as another dataclass (or ``X | None`` or
``list[X]`` of one) is sent as a dict and rebuilt on receipt.

Versions are ``major.minor``. A receiver refuses another major version. It accepts an
older minor version when the fields added since have defaults, and a newer minor version
by ignoring the fields it does not know yet.
"""

from __future__ import annotations

import dataclasses
import functools
import types
import typing
from typing import Any, ClassVar, TypeVar, Union

from nimbostack.core.rpc.errors import IncompatibleVersion, MalformedMessage, NoSuchMessage

T = TypeVar("T")


class Message:
    """Base class of every typed RPC message; subclasses are dataclasses.

    Each subclass sets ``name`` (imperative, unique within the topic it is sent to) and
    ``version``; its docstring says who sends it to whom and whether as call or cast.
    """

    name: ClassVar[str]
    version: ClassVar[str] = "1.0"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        parse_version(cls.version)

    def to_args(self) -> dict[str, Any]:
        """The message's fields by name; nested dataclasses are left to the JSON encoder.

        Shallow on purpose: `dataclasses.asdict` deep-copies, which cost more than the
        rest of a cast on the in-process bus, and the JSON encoding copies anyway.
        """
        cls: type = type(self)
        return {name: getattr(self, name) for name in _field_names(cls)}


@functools.lru_cache(maxsize=1024)
def parse_version(version: str) -> tuple[int, int]:
    """Split ``"major.minor"`` into integers; a clear error for anything else."""
    major, sep, minor = version.partition(".")
    if not (sep and major.isdigit() and minor.isdigit()):
        raise ValueError(f"message version {version!r} is not of the form 'major.minor'")
    return int(major), int(minor)


class MessageRegistry:
    """Maps message names to their classes and rebuilds messages from the wire.

    Each RPC server builds one from the messages its endpoint handles, so two services
    may reuse a message name on different topics.
    """

    def __init__(self, types_: typing.Iterable[type[Message]] = ()) -> None:
        self._types: dict[str, type[Message]] = {}
        for msg_type in types_:
            self.register(msg_type)

    def register(self, msg_type: type[Message]) -> None:
        if not dataclasses.is_dataclass(msg_type):
            raise TypeError(f"{msg_type.__qualname__} must be a dataclass to be a message")
        known = self._types.get(msg_type.name)
        if known is not None and known is not msg_type:
            raise TypeError(
                f"message name {msg_type.name!r} is used by both "
                f"{known.__qualname__} and {msg_type.__qualname__}"
            )
        self._types[msg_type.name] = msg_type

    def __contains__(self, name: object) -> bool:
        return name in self._types

    def lookup(self, name: str) -> type[Message]:
        try:
            return self._types[name]
        except KeyError:
            raise NoSuchMessage(f"no handler for message {name!r}") from None

    def decode(self, name: str, version: str, args: dict[str, Any]) -> Message:
        """Rebuild a message sent as ``name`` at ``version`` with JSON ``args``."""
        msg_type = self.lookup(name)
        try:
            sent = parse_version(version)
        except ValueError as exc:
            raise MalformedMessage(f"{name}: {exc}") from None
        ours = parse_version(msg_type.version)
        if sent[0] != ours[0]:
            raise IncompatibleVersion(
                f"{name} {version} cannot be handled here: this server speaks "
                f"{name} {msg_type.version} (major versions differ)",
                sent=version,
                supported=msg_type.version,
            )
        msg: Message = _build(msg_type, args, lenient=sent[1] > ours[1], label=f"{name} {version}")
        return msg


def decode_reply(cls: type[T], value: Any) -> T:
    """A call's JSON reply rebuilt as dataclass ``cls`` (nested ones too; extra keys ignored)."""
    if not isinstance(value, dict):
        raise MalformedMessage(f"a {cls.__qualname__} reply is not an object")
    built: T = _build(cls, value, lenient=True, label=cls.__qualname__)
    return built


def _build(cls: type, args: dict[str, Any], *, lenient: bool, label: str) -> Any:
    """Construct dataclass ``cls`` from ``args``; ``lenient`` ignores unknown fields."""
    hints = _field_types(cls)
    unknown = args.keys() - hints.keys()
    if unknown and not lenient:
        raise MalformedMessage(f"{label} has unknown fields: {', '.join(sorted(unknown))}")
    kwargs = {key: _decode_value(hints[key], value) for key, value in args.items() if key in hints}
    try:
        return cls(**kwargs)
    except TypeError as exc:
        # Typically a required field added in a newer minor version than the sender's.
        raise MalformedMessage(f"{label} cannot be built: {exc}") from None


@functools.cache
def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls))


@functools.cache
def _field_types(cls: type) -> dict[str, Any]:
    # Resolving string annotations is slow, so do it once per class.
    try:
        hints = typing.get_type_hints(cls)
    except NameError:
        # Annotations naming function-local classes cannot be resolved; such fields
        # are then passed on as plain JSON values.
        hints = {}
    return {f.name: hints.get(f.name, Any) for f in dataclasses.fields(cls) if f.init}


def _decode_value(hint: Any, value: Any) -> Any:
    if value is None:
        return None
    origin = typing.get_origin(hint)
    if origin in (Union, types.UnionType):
        nested = [arg for arg in typing.get_args(hint) if dataclasses.is_dataclass(arg)]
        return _decode_value(nested[0], value) if len(nested) == 1 else value
    if origin is list and isinstance(value, list):
        (item,) = typing.get_args(hint) or (Any,)
        return [_decode_value(item, v) for v in value]
    if isinstance(hint, type) and dataclasses.is_dataclass(hint) and isinstance(value, dict):
        return _build(hint, value, lenient=True, label=hint.__qualname__)
    return value
