"""Every policy rule a service enforces is registered in its policies.py, and vice versa.

Rule names are found in the source with `ast`: the first argument of ``enforce`` and
``allowed`` calls, arguments passed to a parameter named ``rule``, and, for services
whose rules share a prefix (``identity:``, ``os_compute_api:``, ``placement:``), every
string literal with that prefix (tables such as the server-action registry). A name
built at run time (an f-string, a concatenation) is refused, so a grep for a rule
finds where it is defined and where it is enforced.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from nimbostack.compute import policies as compute_policies
from nimbostack.core.auth.policy import RuleDefault, base_rules
from nimbostack.identity import policies as identity_policies
from nimbostack.image import policies as image_policies
from nimbostack.placement import policies as placement_policies

PACKAGE = Path(compute_policies.__file__).resolve().parents[1]
SERVICES: dict[str, tuple[Callable[[], list[RuleDefault]], str | None]] = {
    "identity": (identity_policies.rules, "identity:"),
    "image": (image_policies.rules, None),
    "placement": (placement_policies.rules, "placement:"),
    "compute": (compute_policies.rules, "os_compute_api:"),
}
CHECKS = ("enforce", "allowed")


@dataclass
class Found:
    """Rule names a service's source uses, and the places that build one at run time."""

    names: dict[str, str] = field(default_factory=dict)  # name -> where
    built: list[str] = field(default_factory=list)


def _sources(service: str) -> Iterator[tuple[Path, ast.Module]]:
    for path in sorted((PACKAGE / service).rglob("*.py")):
        if path.name != "policies.py":
            yield path, ast.parse(path.read_text(), str(path))


def _rule_params(trees: list[tuple[Path, ast.Module]]) -> dict[str, int]:
    """Functions of the service taking a ``rule`` parameter -> its position."""
    found: dict[str, int] = {}
    for _path, tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                names = [a.arg for a in node.args.posonlyargs + node.args.args]
                names = [n for n in names if n not in ("self", "cls")]
                if "rule" in names:
                    found[node.name] = names.index("rule")
    return found


def _callee(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def _literals(node: ast.expr) -> list[str] | None:
    """The names an argument can be: literals, or either branch of ``a if c else b``."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        body, orelse = _literals(node.body), _literals(node.orelse)
        return None if body is None or orelse is None else body + orelse
    return None


def _rule_argument(call: ast.Call, params: dict[str, int]) -> ast.expr | None:
    name = _callee(call)
    for keyword in call.keywords:
        if keyword.arg == "rule":
            return keyword.value
    if name in CHECKS and isinstance(call.func, ast.Attribute) and call.args:
        return call.args[0]
    position = params.get(name or "")
    if position is not None and position < len(call.args):
        return call.args[position]
    return None


def _prefixed(value: object, prefix: str | None) -> bool:
    return prefix is not None and isinstance(value, str) and value.startswith(prefix)


def scan(service: str, prefix: str | None) -> Found:
    trees = list(_sources(service))
    params = _rule_params(trees)
    found = Found()
    for path, tree in trees:
        where = str(path.relative_to(PACKAGE))
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and _prefixed(node.value, prefix):
                found.names.setdefault(node.value, f"{where}:{node.lineno}")
            if not isinstance(node, ast.Call):
                continue
            arg = _rule_argument(node, params)
            if arg is None:
                continue
            if isinstance(arg, ast.JoinedStr | ast.BinOp):
                found.built.append(f"{where}:{node.lineno}")
                continue
            for name in _literals(arg) or []:
                found.names.setdefault(name, f"{where}:{node.lineno}")
    return found


def _referenced(rules: list[RuleDefault]) -> set[str]:
    """Rules other rules name with ``rule:<name>`` (they need no enforce of their own)."""
    return {m for r in rules for m in re.findall(r"rule:([\w:.-]+)", r.check_str)}


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_no_rule_name_is_built_at_run_time(service: str) -> None:
    _rules, prefix = SERVICES[service]
    assert scan(service, prefix).built == []


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_every_enforced_rule_is_registered(service: str) -> None:
    rules, prefix = SERVICES[service]
    registered = {r.name for r in rules()}
    found = scan(service, prefix)
    unknown = {name: where for name, where in found.names.items() if name not in registered}
    assert unknown == {}


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_every_registered_rule_is_enforced(service: str) -> None:
    rules, prefix = SERVICES[service]
    defaults = rules()
    shared = {r.name for r in base_rules()} | _referenced(defaults)
    used = set(scan(service, prefix).names)
    unused = sorted(r.name for r in defaults if r.name not in shared and r.name not in used)
    assert unused == []


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_rule_names_are_unique(service: str) -> None:
    rules, _prefix = SERVICES[service]
    names = [r.name for r in rules()]
    assert sorted(n for n in set(names) if names.count(n) > 1) == []
