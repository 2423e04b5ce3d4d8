"""Hypothesis strategies for hostile input: values, JSON bodies shaped by a schema, queries.

A body drawn for a route with a schema is a valid-looking document with one hostile
value planted in it, so it gets past the outer checks and reaches deeper code; a few
bodies are raw bytes no JSON parser should choke on (deep nesting, bad UTF-8, a body
over the size limit). Bodies are encoded with the standard library, so a lone
surrogate travels as its ``\\ud800`` escape and a huge integer keeps every digit.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from hypothesis import strategies as st

HOSTILE_TEXT = [
    "\ud800",
    "a\udfffb",
    "\x00",
    "a\x00b",
    "\r\nX-Injected: 1",
    "\n",
    "\x1b[2J",
    "\x7f\x85",
    "\u202e",
    "\U0001f600",
    "é",
    "x" * 300,
    "y" * 70_000,
    "",
    " ",
    "%00",
    "%",
    "../..",
    "?a=b#c",
    "'\"\\",
    "99999999999999999999",
    "-1",
    "1e400",
    "NaN",
    "null",
]
HOSTILE_INTS = [
    2**63,
    2**63 - 1,
    -(2**63) - 1,
    2**64,
    10**20,
    -(10**20),
    10**400,
    2**31,
    2**31 - 1,
    -1,
    0,
]
# Raw bodies: a JSON parser must refuse each with a 4xx (the last is over 112 KiB).
HOSTILE_RAW = [
    b"[" * 100_000,
    b"{" * 50_000,
    b'{"a":' * 40 + b"1" + b"}" * 40,
    b"[" * 40 + b"]" * 40,
    b'{"x": "\\ud800"}',
    b'["\\udc00\\ud800"]',
    b'{"x": 99999999999999999999}',
    b'{"x": -99999999999999999999}',
    b'{"x": 1e400}',
    b'{"x": NaN}',
    b'"\xed\xa0\x80"',
    b"\xff\xfe{}",
    b"\xef\xbb\xbf{}",
    b"",
    b"null",
    b"[]",
    b"{" + b'"k": "' + b"z" * 120_000 + b'"}',
]

_ANY_CHAR = st.characters(categories=["L", "N", "P", "S", "Zs", "Cc", "Cs", "Cf"])
hostile_text = st.one_of(st.sampled_from(HOSTILE_TEXT), st.text(_ANY_CHAR, max_size=12))
# In a URL: the same, but short enough for a request line (uvicorn reads up to 64 KiB).
url_text = st.one_of(
    st.sampled_from([t for t in HOSTILE_TEXT if len(t) < 1000] + ["z" * 4000]),
    st.text(_ANY_CHAR, max_size=12),
)
hostile_int = st.one_of(st.sampled_from(HOSTILE_INTS), st.integers())
hostile_scalar = st.one_of(
    hostile_text,
    hostile_int,
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.none(),
)
hostile_value = st.one_of(
    hostile_scalar,
    st.lists(hostile_scalar, max_size=3),
    st.dictionaries(hostile_text, hostile_scalar, max_size=3),
)
generic_json = st.recursive(
    hostile_scalar,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(hostile_text, inner, max_size=3),
    max_leaves=8,
)


def encode(value: Any) -> bytes:
    """JSON text of ``value``; lone surrogates become escapes, integers keep every digit."""
    return json.dumps(value).encode()


generic_bodies = generic_json.map(encode)


def _types(schema: dict[str, Any]) -> list[str]:
    kind = schema.get("type")
    if isinstance(kind, list):
        return [str(k) for k in kind]
    if kind:
        return [str(kind)]
    if "properties" in schema:
        return ["object"]
    return ["string"]


def valid_like(
    schema: dict[str, Any], known: dict[str, str], depth: int = 0
) -> st.SearchStrategy[Any]:
    """A value the schema (mostly) accepts: enough to get past it to the code behind."""
    if schema.get("enum"):
        return st.sampled_from(schema["enum"])
    for key in ("oneOf", "anyOf"):
        if schema.get(key):
            return st.one_of([valid_like(s, known, depth) for s in schema[key]])
    return st.one_of([_of_type(kind, schema, known, depth) for kind in _types(schema)])


def _of_type(
    kind: str, schema: dict[str, Any], known: dict[str, str], depth: int
) -> st.SearchStrategy[Any]:
    if kind == "object":
        return _object(schema, known, depth)
    if kind == "array":
        items = schema.get("items") if isinstance(schema.get("items"), dict) else {}
        return st.lists(valid_like(items or {}, known, depth + 1), min_size=1, max_size=2)
    if kind == "integer":
        low = int(schema.get("minimum", 0))
        return st.integers(min_value=low, max_value=low + 4)
    if kind == "number":
        return st.floats(min_value=0, max_value=10)
    if kind == "boolean":
        return st.booleans()
    if kind == "null":
        return st.none()
    if schema.get("format") == "uuid":
        return st.just(str(uuid.uuid4()))
    return st.sampled_from(["fuzz", "fuzz-1", *list(known.values())[:4]])


_ABSENT = object()


def _present(fields: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in fields.items() if v is not _ABSENT}


def _object(schema: dict[str, Any], known: dict[str, str], depth: int) -> st.SearchStrategy[Any]:
    props: dict[str, Any] = schema.get("properties") or {}
    if depth > 4 or not props:
        return st.just({})
    required = set(schema.get("required") or [])
    fields = {}
    for name, sub in props.items():
        value = st.just(known[name]) if name in known else valid_like(sub, known, depth + 1)
        fields[name] = value if name in required else st.one_of(st.just(_ABSENT), value)
    return st.fixed_dictionaries(fields).map(_present)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found.extend(_paths(item, (*prefix, key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.extend(_paths(item, (*prefix, index)))
    return found


def _plant(doc: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(doc, dict):
        return {**doc, head: _plant(doc[head], rest, value)}
    copy = list(doc)
    copy[head] = _plant(copy[head], rest, value)
    return copy


@st.composite
def schema_body(
    draw: st.DrawFn, schema: dict[str, Any], known: dict[str, str], keep: frozenset[str]
) -> bytes:
    """A document shaped by ``schema`` with one hostile value (or key) planted in it.

    Fields named in ``keep`` always hold a valid value.
    """
    doc = draw(valid_like(schema, known))
    paths = [path for path in _paths(doc) if not path or path[-1] not in keep]
    path = draw(st.sampled_from(paths))
    if draw(st.booleans()) or not path:
        return encode(_plant(doc, path, draw(hostile_value)))
    parent = path[:-1]
    target: Any = doc
    for step in parent:
        target = target[step]
    if isinstance(target, dict):
        return encode(_plant(doc, parent, {**target, draw(hostile_text): draw(hostile_value)}))
    return encode(_plant(doc, path, draw(hostile_value)))


def bodies(
    schemas: list[dict[str, Any]], known: dict[str, str], keep: frozenset[str] = frozenset()
) -> st.SearchStrategy[bytes]:
    """Bodies for a route: raw hostile bytes, generic JSON, or schema-shaped documents."""
    options: list[st.SearchStrategy[bytes]] = [st.sampled_from(HOSTILE_RAW), generic_bodies]
    # Twice: a schema-shaped body gets furthest into the code, so it comes up most.
    options.extend(schema_body(schema, known, keep) for schema in schemas)
    options.extend(schema_body(schema, known, keep) for schema in schemas)
    return st.one_of(options)


@st.composite
def queries(draw: st.DrawFn, names: list[str]) -> list[tuple[str, str]]:
    """Up to three query parameters, mostly named as the handler reads them, hostile values."""
    name = st.one_of(st.sampled_from(names), url_text) if names else url_text
    value = st.one_of(url_text, hostile_int.map(str))
    return draw(st.lists(st.tuples(name, value), max_size=3))


def _routable(value: str) -> bool:
    # These would change which route the path names, not what it passes.
    return value not in ("", ".", "..")


_path_hostile = st.one_of(url_text, hostile_int.map(str)).filter(_routable)


def path_values(known: str | None) -> st.SearchStrategy[str]:
    """A path parameter: hostile text, or (half the time) the id of a real resource."""
    if known is None:
        return _path_hostile
    return st.one_of(st.just(known), _path_hostile)
