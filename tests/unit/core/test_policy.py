"""Policy rules in the oslo.policy syntax, defaults in code, overrides from a file."""

from __future__ import annotations

from pathlib import Path

import pytest

from nimbostack.core.auth.policy import Enforcer, RuleDefault, base_rules
from nimbostack.core.context import RequestContext
from nimbostack.core.errors import ConfigError

RULES = [
    *base_rules(),
    RuleDefault("demo:read", "role:admin or (role:reader and project_id:%(project_id)s)"),
    RuleDefault("demo:own", "user_id:%(target.owner.id)s"),
    RuleDefault("demo:never", "!"),
    RuleDefault("demo:anyone", ""),
    RuleDefault("demo:not_reader", "not role:reader"),
    RuleDefault("demo:system", "rule:system_admin"),
]


def _ctx(
    roles: list[str], project: str = "p1", user: str = "u1", system: str | None = None
) -> RequestContext:
    return RequestContext(roles=roles, project_id=project, user_id=user, system_scope=system)


def test_project_scoped_reader() -> None:
    enf = Enforcer(RULES)
    assert enf.check("demo:read", {"project_id": "p1"}, _ctx(["reader"]))
    assert not enf.check("demo:read", {"project_id": "p2"}, _ctx(["reader"]))
    assert enf.check("demo:read", {"project_id": "p2"}, _ctx(["admin"]))


def test_nested_target_attributes_and_literals() -> None:
    enf = Enforcer(RULES)
    target = {"target": {"owner": {"id": "u1"}}}
    assert enf.check("demo:own", target, _ctx([]))
    assert not enf.check("demo:own", target, _ctx([], user="u2"))
    assert not enf.check("demo:never", {}, _ctx(["admin"]))
    assert enf.check("demo:anyone", {}, _ctx([]))
    assert not enf.check("demo:not_reader", {}, _ctx(["reader"]))


def test_system_scope_rule_reference() -> None:
    enf = Enforcer(RULES)
    assert enf.check("demo:system", {}, _ctx(["admin"], system="all"))
    assert not enf.check("demo:system", {}, _ctx(["admin"]))


def test_overrides_from_a_yaml_file(tmp_path: Path) -> None:
    path = tmp_path / "demo.yaml"
    path.write_text('"demo:never": "role:member"\n')
    enf = Enforcer(RULES, path)
    assert enf.check("demo:never", {}, _ctx(["member"]))


def test_a_broken_override_names_the_rule(tmp_path: Path) -> None:
    path = tmp_path / "demo.yaml"
    path.write_text('"demo:read": "role:admin or ("\n')
    with pytest.raises(ConfigError, match="demo:read"):
        Enforcer(RULES, path)


def test_unregistered_rule_is_a_programming_error() -> None:
    with pytest.raises(KeyError):
        Enforcer(RULES).check("demo:missing", {}, _ctx([]))
