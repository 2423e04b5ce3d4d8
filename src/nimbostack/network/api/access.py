"""Policy as Neutron applies it: per operation, per attribute, and per listed item.

- ``enforce``: 403 ``PolicyNotAuthorized`` naming the rule.
- ``enforce_change``: for an update or delete of something the caller can see but may
  not change, 403; if it may not even show it, 404 (its existence is not revealed).
- ``check_attributes``: ``<action>_<resource>:<attribute>`` for each guarded attribute a
  request sets (provider attributes, ``shared``, binding...), and
  ``<action>_<resource>:<attribute>:<key>`` for a guarded key of its entries.
- ``attribute_rule`` is the one place such a per-attribute name is made, and
  ``attribute_rules`` lists every name a resource's ``Body`` can lead to, so each one
  can be checked against the registered rules.
- ``Shown``: which guarded attributes the caller may read (decided once per request,
  as Neutron does from the first item), and whether it may see each listed item, with
  the answer remembered per distinct ownership target so long lists cost a few checks.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from nimbostack.core.api.request import ApiRequest
from nimbostack.network.api.attributes import Body
from nimbostack.network.errors import HTTPNotFound, PolicyNotAuthorized

ACTIONS = ("create", "update", "get")


def attribute_rule(action: str, singular: str, attribute: str) -> str:
    """``<action>_<singular>:<attribute>``: a rule generated from an attribute definition."""
    return f"{action}_{singular}:{attribute}"


def attribute_rules(body: Body) -> set[str]:
    """Every per-attribute rule the attribute definitions of ``body`` lead to."""
    return {
        attribute_rule(action, body.singular, name)
        for action in ACTIONS
        for attr in body.guarded(action)
        for name in (attr.name, *(f"{attr.name}:{key}" for key in attr.policy_keys))
    }


def allowed(req: ApiRequest, rule: str, target: dict[str, Any]) -> bool:
    return req.allowed(rule, target)


def enforce(req: ApiRequest, rule: str, target: dict[str, Any]) -> None:
    if not req.allowed(rule, target):
        raise PolicyNotAuthorized(rule=f"rule:{rule}")


def enforce_change(req: ApiRequest, rule: str, show_rule: str, target: dict[str, Any]) -> None:
    if req.allowed(rule, target):
        return
    if req.allowed(show_rule, target):
        raise PolicyNotAuthorized(rule=f"rule:{rule}")
    raise HTTPNotFound()


def check_attributes(
    req: ApiRequest,
    action: str,
    body: Body,
    item: dict[str, Any],
    target: dict[str, Any],
    *,
    updating: bool = False,
) -> None:
    """Enforce the per-attribute rules of each guarded attribute the request sets."""
    for attr in body.guarded(action):
        if attr.name not in item:
            continue
        if not updating and not body.set_explicitly(item, attr.name):
            continue
        enforce(req, attribute_rule(action, body.singular, attr.name), target)
        for key in _keys_set(attr.policy_keys, item[attr.name]):
            enforce(req, attribute_rule(action, body.singular, f"{attr.name}:{key}"), target)


def _keys_set(keys: tuple[str, ...], value: Any) -> list[str]:
    """The guarded keys that some entry of a list attribute (or a dict attribute) sets."""
    entries = value if isinstance(value, list) else [value] if isinstance(value, dict) else []
    return [key for key in keys if any(isinstance(e, dict) and key in e for e in entries)]


class Shown:
    """What of a resource the caller may see (see the module docstring)."""

    def __init__(self, req: ApiRequest, rule: str, body: Body) -> None:
        self.req = req
        self.rule = rule
        self.body = body
        self._hidden: set[str] | None = None
        self._seen: dict[tuple[Any, ...], bool] = {}

    def hidden(self, target: dict[str, Any]) -> set[str]:
        if self._hidden is None:
            self._hidden = {
                attr.name
                for attr in self.body.guarded("get")
                if not self.req.allowed(
                    attribute_rule("get", self.body.singular, attr.name), target
                )
            }
        return self._hidden

    def visible(self, target: dict[str, Any]) -> bool:
        key = tuple(sorted(target.items()))
        found = self._seen.get(key)
        if found is None:
            found = self._seen[key] = self.req.allowed(self.rule, target)
        return found

    def visible_as(self, key: tuple[Any, ...], target: Callable[[], dict[str, Any]]) -> bool:
        """``visible`` for a long list: ``key`` names the target (its policy-relevant
        values), which is built only the first time the key is seen."""
        found = self._seen.get(key)
        if found is None:
            found = self._seen[key] = self.req.allowed(self.rule, target())
        return found

    def strip(self, item: dict[str, Any], target: dict[str, Any]) -> dict[str, Any]:
        for name in self.hidden(target):
            item.pop(name, None)
        return item

    def one(self, item: dict[str, Any], target: dict[str, Any]) -> dict[str, Any]:
        """A shown resource (404 if its get rule refuses the caller), stripped."""
        if not self.req.allowed(self.rule, target):
            raise HTTPNotFound()
        return self.strip(item, target)
