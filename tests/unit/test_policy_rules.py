"""Every policy rule a service enforces is registered in its policies.py, and vice versa.

Rule names are found in the source with `ast`: the first argument of ``enforce`` and
``allowed`` calls, arguments passed to a parameter named ``rule`` or ``<what>_rule`` (of
a function, a class or a dataclass of the service), and, for services whose rules share
a prefix (``identity:``, ``os_compute_api:``, ``placement:``), every string literal with
that prefix (tables such as the server-action registry).

A rule argument must be a literal (or ``a if c else b`` of literals), or pass on a rule
parameter of the function it is in; anything else (an f-string, a concatenation, a
variable, a lookup) counts as built at run time, as does an f-string or concatenation
assigned to a name ``rule``/``<what>_rule``. So a grep for a rule finds where it is
defined and where it is enforced.

The one exception is networking's per-attribute rules (``create_network:shared``,
``get_port:binding:host_id``, ``update_port:tags``...), which Neutron generates from each
resource's attribute definitions. They may only be made by the functions in GENERATORS;
the test lists every name those make, through the service's own code (each ``Body``'s
``access.attribute_rules``, each taggable resource's ``tags.rules``), and requires each
to be registered, and the registered rules to be exactly those plus the literal ones.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from nimbostack.compute import policies as compute_policies
from nimbostack.core.auth.policy import RuleDefault, base_rules
from nimbostack.identity import policies as identity_policies
from nimbostack.image import policies as image_policies
from nimbostack.network import api as network_api
from nimbostack.network import policies as network_policies
from nimbostack.network.api import access, routes, tags
from nimbostack.network.api.attributes import Body
from nimbostack.placement import policies as placement_policies
from nimbostack.volume import policies as volume_policies

PACKAGE = Path(compute_policies.__file__).resolve().parents[1]
SERVICES: dict[str, tuple[Callable[[], list[RuleDefault]], str | None]] = {
    "identity": (identity_policies.rules, "identity:"),
    "image": (image_policies.rules, None),
    "placement": (placement_policies.rules, "placement:"),
    "compute": (compute_policies.rules, "os_compute_api:"),
    "network": (network_policies.rules, None),
    "volume": (volume_policies.rules, None),
}
CHECKS = ("enforce", "allowed")
# The functions allowed to make a rule name at run time, and what they may make.
GENERATORS = {"network": ("attribute_rule",)}
BUILT = (ast.JoinedStr, ast.BinOp)


def _network_generated() -> set[str]:
    """Every per-attribute rule networking's attribute definitions make."""
    bodies: dict[int, Body] = {}
    for info in pkgutil.iter_modules(network_api.__path__, f"{network_api.__name__}."):
        module = importlib.import_module(info.name)
        bodies.update({id(v): v for v in vars(module).values() if isinstance(v, Body)})
    assert len(bodies) >= 8  # every resource's body was found
    names = set().union(*(access.attribute_rules(body) for body in bodies.values()))
    return names.union(*(tags.rules(res) for res in routes.TAGGABLE))


GENERATED: dict[str, Callable[[], set[str]]] = {"network": _network_generated}


def _generated(service: str) -> set[str]:
    return GENERATED[service]() if service in GENERATED else set()


@dataclass
class Found:
    """Rule names a service's source uses, and the places that build one at run time."""

    names: dict[str, str] = field(default_factory=dict)  # name -> where
    built: list[str] = field(default_factory=list)


def _sources(service: str) -> Iterator[tuple[Path, ast.Module]]:
    for path in sorted((PACKAGE / service).rglob("*.py")):
        if path.name != "policies.py":
            yield path, ast.parse(path.read_text(), str(path))


def _is_rule(name: str) -> bool:
    return name == "rule" or name.endswith("_rule")


Param = tuple[str, ast.expr | None]  # a parameter's name and annotation


def _positions(params: list[Param]) -> tuple[int, ...]:
    params = [p for p in params if p[0] not in ("self", "cls")]
    return tuple(i for i, (name, note) in enumerate(params) if _takes_rule(name, note))


def _takes_rule(name: str, note: ast.expr | None) -> bool:
    """A parameter named ``rule``/``<what>_rule`` that is a string (not a rule object)."""
    return _is_rule(name) and (note is None or ast.unparse(note) == "str")


def _params_of(node: ast.FunctionDef | ast.AsyncFunctionDef) -> list[Param]:
    return [(a.arg, a.annotation) for a in node.args.posonlyargs + node.args.args]


def _class_params(node: ast.ClassDef) -> list[Param]:
    """A class's constructor parameters: its ``__init__``'s, or a dataclass's fields."""
    for item in node.body:
        if isinstance(item, ast.FunctionDef) and item.name == "__init__":
            return _params_of(item)
    return [
        (item.target.id, item.annotation)
        for item in node.body
        if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name)
    ]


def _rule_params(trees: list[tuple[Path, ast.Module]]) -> dict[str, tuple[int, ...]]:
    """Functions and classes of the service taking rule parameters -> their positions.

    Keyed by bare name and by ``<module>.<name>``, so ``access.enforce(req, rule, ...)``
    resolves to the module's function rather than to a method named ``enforce``.
    """
    found: dict[str, tuple[int, ...]] = {}
    for path, tree in trees:
        for node in ast.walk(tree):
            keyword_only: list[ast.arg] = []
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                params, keyword_only = _params_of(node), node.args.kwonlyargs
            elif isinstance(node, ast.ClassDef):
                params = _class_params(node)
            else:
                continue
            positions = _positions(params)
            if positions or any(_takes_rule(a.arg, a.annotation) for a in keyword_only):
                found[node.name] = positions
                if node in tree.body:
                    found[f"{path.stem}.{node.name}"] = positions
    return found


def _callee(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def _qualified(call: ast.Call, module: str) -> str | None:
    if isinstance(call.func, ast.Name):
        return f"{module}.{call.func.id}"
    if isinstance(call.func, ast.Attribute) and isinstance(call.func.value, ast.Name):
        return f"{call.func.value.id}.{call.func.attr}"
    return None


def _literals(node: ast.expr) -> list[str] | None:
    """The names an argument can be: literals, or either branch of ``a if c else b``."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        body, orelse = _literals(node.body), _literals(node.orelse)
        return None if body is None or orelse is None else body + orelse
    return None


def _rule_arguments(
    call: ast.Call, module: str, params: dict[str, tuple[int, ...]]
) -> list[ast.expr]:
    name = _callee(call) or ""
    qualified = _qualified(call, module)
    positions = params.get(qualified or "")
    if positions is None and name in CHECKS and isinstance(call.func, ast.Attribute):
        positions = (0,)
    if positions is None:
        positions = params.get(name)
    if positions is None:
        return []
    found = [k.value for k in call.keywords if k.arg and _is_rule(k.arg)]
    return found + [call.args[p] for p in positions if p < len(call.args)]


def _prefixed(value: object, prefix: str | None) -> bool:
    return prefix is not None and isinstance(value, str) and value.startswith(prefix)


def _built_assignment(node: ast.AST) -> bool:
    """``rule = f"..."`` or ``self.show_rule = a + b``: a name made to be passed on."""
    if not isinstance(node, ast.Assign) or not isinstance(node.value, BUILT):
        return False
    for target in node.targets:
        name = target.id if isinstance(target, ast.Name) else getattr(target, "attr", "")
        if _is_rule(name):
            return True
    return False


class _Scanner(ast.NodeVisitor):
    def __init__(self, where: str, module: str, service: str, prefix: str | None) -> None:
        self.where, self.module, self.prefix = where, module, prefix
        self.generators = GENERATORS.get(service, ())
        self.function: list[str] = []
        self.params: dict[str, tuple[int, ...]] = {}
        self.found = Found()

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self.function.append(node.name)
        self.generic_visit(node)
        self.function.pop()

    visit_FunctionDef = _function
    visit_AsyncFunctionDef = _function

    def _built(self, node: ast.stmt | ast.expr) -> None:
        if not (self.function and self.function[-1] in self.generators):
            self.found.built.append(f"{self.where}:{node.lineno}")

    def visit_Return(self, node: ast.Return) -> None:
        """A function named ``<what>_rule`` returning an f-string makes a rule name."""
        if self.function and _is_rule(self.function[-1]) and isinstance(node.value, BUILT):
            self._built(node)
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        if _prefixed(node.value, self.prefix):
            self.found.names.setdefault(node.value, f"{self.where}:{node.lineno}")

    def visit_Assign(self, node: ast.Assign) -> None:
        if _built_assignment(node):
            self._built(node)
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        for arg in _rule_arguments(node, self.module, self.params):
            names = _literals(arg)
            if names is not None:
                for name in names:
                    self.found.names.setdefault(name, f"{self.where}:{node.lineno}")
            elif isinstance(arg, BUILT):
                self._built(node)
        self.generic_visit(node)


def scan(service: str, prefix: str | None) -> Found:
    trees = list(_sources(service))
    params = _rule_params(trees)
    found = Found()
    for path, tree in trees:
        scanner = _Scanner(str(path.relative_to(PACKAGE)), path.stem, service, prefix)
        scanner.params = params
        scanner.visit(tree)
        for name, where in scanner.found.names.items():
            found.names.setdefault(name, where)
        found.built += scanner.found.built
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


@pytest.mark.parametrize("service", sorted(GENERATED))
def test_every_generated_rule_is_registered(service: str) -> None:
    rules, _prefix = SERVICES[service]
    registered = {r.name for r in rules()}
    assert sorted(_generated(service) - registered) == []


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_every_registered_rule_is_enforced(service: str) -> None:
    rules, prefix = SERVICES[service]
    defaults = rules()
    shared = {r.name for r in base_rules()} | _referenced(defaults)
    used = set(scan(service, prefix).names) | _generated(service)
    unused = sorted(r.name for r in defaults if r.name not in shared and r.name not in used)
    assert unused == []


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_rule_names_are_unique(service: str) -> None:
    rules, _prefix = SERVICES[service]
    names = [r.name for r in rules()]
    assert sorted(n for n in set(names) if names.count(n) > 1) == []
