"""What the fuzz can learn about a route from its handler: body schemas and query names.

Handlers name their schema where they read the body (``await req.json(CREATE)``) and
their query parameters as string constants (``req.query.get("minRam")``). Reading the
names and constants of the handler's code, and of the functions of its own package it
calls, finds both without a second registry that could drift from the code.
"""

from __future__ import annotations

import inspect
import re
import types
from collections.abc import Callable, Iterator
from typing import Any

from nimbostack.compute.api.versions import VERSIONS as COMPUTE_VERSIONS
from nimbostack.core.api.microversion import Version
from nimbostack.placement.service import VERSIONS as PLACEMENT_VERSIONS

_QUERY_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]{0,39}")
_SCHEMA_KEYS = {"type", "properties", "items", "oneOf", "anyOf"}
LATEST = max(COMPUTE_VERSIONS.maximum, PLACEMENT_VERSIONS.maximum)


def _is_schema(value: object) -> bool:
    return isinstance(value, dict) and bool(_SCHEMA_KEYS & value.keys())


def _code_objects(func: Callable[..., Any], depth: int = 2) -> Iterator[tuple[Any, dict[str, Any]]]:
    """The code of ``func`` and of the same-package functions it calls, ``depth`` deep."""
    seen: set[int] = set()
    pending = [(func, depth)]
    package = (func.__module__ or "").rsplit(".", 2)[0]
    while pending:
        fn, left = pending.pop()
        code = getattr(fn, "__code__", None)
        if code is None or id(code) in seen:
            continue
        seen.add(id(code))
        consts = [c for c in code.co_consts if isinstance(c, types.CodeType)]
        for item in [code, *consts]:
            yield item, fn.__globals__
        if left == 0:
            continue
        for name in code.co_names:
            target = fn.__globals__.get(name)
            if inspect.isfunction(target) and (target.__module__ or "").startswith(package):
                pending.append((target, left - 1))


def _resolve(name: str, module_globals: dict[str, Any], names: tuple[str, ...]) -> list[Any]:
    value = module_globals.get(name)
    if isinstance(value, types.ModuleType):
        return [getattr(value, other) for other in names if hasattr(value, other)]
    return [value]


def _schemas_from(value: Any) -> list[dict[str, Any]]:
    if _is_schema(value):
        return [value]
    if inspect.isfunction(value) and value.__name__.endswith("schema"):
        try:
            made = value(LATEST)
        except Exception:  # a builder with another signature: not one we can call
            return []
        return [made] if _is_schema(made) else []
    return []


def body_schemas(handler: Callable[..., Any]) -> list[dict[str, Any]]:
    """The JSON schemas the handler (or a helper it calls) validates bodies against."""
    found: dict[int, dict[str, Any]] = {}
    for code, module_globals in _code_objects(handler):
        for name in code.co_names:
            for value in _resolve(name, module_globals, code.co_names):
                for schema in _schemas_from(value):
                    found.setdefault(id(schema), schema)
        for const in code.co_consts:
            if _is_schema(const):
                found.setdefault(id(const), const)
    return list(found.values())


def query_names(handler: Callable[..., Any]) -> list[str]:
    """String constants of the handler's code that could be query parameter names."""
    names: set[str] = set()
    for code, _globals in _code_objects(handler):
        pending = list(code.co_consts)
        while pending:
            const = pending.pop()
            if isinstance(const, tuple | frozenset):
                pending.extend(const)
            elif isinstance(const, str) and _QUERY_NAME.fullmatch(const):
                names.add(const)
    return sorted(names)


__all__ = ["LATEST", "Version", "body_schemas", "query_names"]
