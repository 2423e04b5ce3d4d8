"""Policy: rules in the oslo.policy syntax, defaults in code, overrides from a file.

A rule string such as ``role:admin or (role:reader and project_id:%(project_id)s)`` is
parsed once into a tree of checks. Credentials come from the request context; the
target is a dict describing the resource being acted on.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from nimbostack.core.context import RequestContext
from nimbostack.core.errors import ConfigError


def _tokenize(text: str) -> list[str]:
    """Split on spaces, then peel parentheses off the ends of each chunk.

    Parentheses inside a check (``%(project_id)s``) stay part of it: a check always
    ends in ``s`` or a name, never in ``)``.
    """
    tokens: list[str] = []
    for chunk in text.split():
        closing = 0
        while chunk.startswith("("):
            tokens.append("(")
            chunk = chunk[1:]
        while chunk.endswith(")"):
            closing += 1
            chunk = chunk[:-1]
        if chunk:
            tokens.append(chunk)
        tokens.extend(")" * closing)
    return tokens


@dataclass(frozen=True)
class RuleDefault:
    """A policy rule declared in code next to the operation it guards."""

    name: str
    check_str: str
    description: str = ""
    operations: tuple[str, ...] = ()


Check = Callable[[dict[str, Any], dict[str, Any], "Enforcer"], bool]


def _lookup(data: dict[str, Any], dotted: str) -> Any:
    """Read ``a.b.c`` from nested dicts, or a flat key that contains dots."""
    if dotted in data:
        return data[dotted]
    value: Any = data
    for part in dotted.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def _substitute(template: str, target: dict[str, Any]) -> str | None:
    match = re.fullmatch(r"%\(([^)]+)\)s", template)
    if not match:
        return template
    value = _lookup(target, match.group(1))
    return None if value is None else str(value)


def _always(_t: dict[str, Any], _c: dict[str, Any], _e: Enforcer) -> bool:
    return True


def _never(_t: dict[str, Any], _c: dict[str, Any], _e: Enforcer) -> bool:
    return False


def _make_check(token: str) -> Check:
    if token == "@":
        return _always
    if token == "!":
        return _never
    kind, sep, match = token.partition(":")
    if not sep:
        raise ConfigError(f"policy: cannot parse check {token!r}")
    if kind == "role":
        role = match.lower()
        return lambda t, c, e: role in [r.lower() for r in c.get("roles", [])]
    if kind == "rule":
        return lambda t, c, e: e.check_named(match, t, c)
    return _generic_check(kind, match)


def _generic_check(kind: str, match: str) -> Check:
    def check(target: dict[str, Any], creds: dict[str, Any], _e: Enforcer) -> bool:
        wanted = _substitute(match, target)
        if wanted is None:
            return False
        if kind[:1] in ("'", '"'):
            return kind.strip("'\"") == wanted
        have = _lookup(creds, kind)
        if have is None:
            return False
        if isinstance(have, bool):
            return str(have).lower() == wanted.lower()
        if isinstance(have, list):
            return wanted in [str(h) for h in have]
        return str(have) == wanted

    return check


class _Parser:
    """Recursive descent over: or_expr := and_expr (or and_expr)*, and so on."""

    def __init__(self, text: str) -> None:
        self.tokens = _tokenize(text)
        self.pos = 0

    def parse(self) -> Check:
        if not self.tokens:
            return _always
        check = self._or()
        if self.pos != len(self.tokens):
            raise ConfigError(f"policy: unexpected {self.tokens[self.pos]!r}")
        return check

    def _peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def _next(self) -> str:
        token = self._peek()
        if token is None:
            raise ConfigError("policy: rule ends too early")
        self.pos += 1
        return token

    def _or(self) -> Check:
        parts = [self._and()]
        while self._peek() == "or":
            self._next()
            parts.append(self._and())
        if len(parts) == 1:
            return parts[0]
        return lambda t, c, e: any(p(t, c, e) for p in parts)

    def _and(self) -> Check:
        parts = [self._not()]
        while self._peek() == "and":
            self._next()
            parts.append(self._not())
        if len(parts) == 1:
            return parts[0]
        return lambda t, c, e: all(p(t, c, e) for p in parts)

    def _not(self) -> Check:
        if self._peek() == "not":
            self._next()
            inner = self._not()
            return lambda t, c, e: not inner(t, c, e)
        return self._atom()

    def _atom(self) -> Check:
        token = self._next()
        if token == "(":
            inner = self._or()
            if self._next() != ")":
                raise ConfigError("policy: missing ')'")
            return inner
        return _make_check(token)


def parse_rule(text: str) -> Check:
    return _Parser(text).parse()


class Enforcer:
    """Holds the effective rules of one service and checks them."""

    def __init__(self, defaults: Iterable[RuleDefault], policy_file: Path | None = None) -> None:
        self.defaults = {rule.name: rule for rule in defaults}
        texts = {name: rule.check_str for name, rule in self.defaults.items()}
        texts.update(_load_overrides(policy_file))
        self._rules = {name: parse_rule(text) for name, text in texts.items()}

    def check_named(self, name: str, target: dict[str, Any], creds: dict[str, Any]) -> bool:
        rule = self._rules.get(name)
        if rule is None:
            return False
        return rule(target, creds, self)

    def check(self, name: str, target: dict[str, Any], context: RequestContext) -> bool:
        if name not in self._rules:
            raise KeyError(f"policy rule {name!r} is not registered")
        return self.check_named(name, target, context.policy_credentials())


def _load_overrides(path: Path | None) -> dict[str, str]:
    if path is None or not path.exists():
        return {}
    text = path.read_text()
    try:
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise ConfigError(f"policy file {path}: {exc}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"policy file {path}: expected a mapping of rule names to rules")
    result = {str(k): str(v) for k, v in data.items()}
    for name, text in result.items():
        try:
            parse_rule(text)
        except ConfigError as exc:
            raise ConfigError(f"policy file {path}: rule {name!r}: {exc}") from None
    return result


# Building blocks shared by every service's policies.
ADMIN = "role:admin"
SYSTEM_ADMIN = "role:admin and system_scope:all"
SYSTEM_READER = "role:reader and system_scope:all"
PROJECT_MEMBER = "role:member and project_id:%(project_id)s"
PROJECT_READER = "role:reader and project_id:%(project_id)s"
ADMIN_OR_PROJECT_MEMBER = f"{ADMIN} or ({PROJECT_MEMBER})"
ADMIN_OR_PROJECT_READER = f"{ADMIN} or ({PROJECT_READER})"


def base_rules() -> list[RuleDefault]:
    """Named rules that every service's policy can refer to with ``rule:``."""
    return [
        RuleDefault("admin_required", ADMIN, "Any admin"),
        RuleDefault("system_admin", SYSTEM_ADMIN, "Admin on the system scope"),
        RuleDefault("system_reader", SYSTEM_READER, "Reader on the system scope"),
        RuleDefault("project_member", PROJECT_MEMBER, "Member of the target project"),
        RuleDefault("project_reader", PROJECT_READER, "Reader of the target project"),
        RuleDefault("admin_or_member", ADMIN_OR_PROJECT_MEMBER, "Admin, or member of the project"),
        RuleDefault("admin_or_reader", ADMIN_OR_PROJECT_READER, "Admin, or reader of the project"),
        RuleDefault("service_role", "role:service", "A service user"),
    ]
