"""Security group rules: listing, the standard rules of new groups, create and delete.

A create locks its group's row, then compares the new rule with the group's rules, so
two identical rules created at once cannot both be added: the second gets 409
``SecurityGroupRuleExists`` naming the first.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import ColumnElement, delete, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from nimbostack.core.config import Config
from nimbostack.core.timeutil import iso
from nimbostack.network import errors
from nimbostack.network.db.models import DefaultSecurityGroup, SecurityGroup, SecurityGroupRule
from nimbostack.network.objects import quotas, rule_checks, standard
from nimbostack.network.objects.query import ListRequest, Rows, Table, select_page, to_bool
from nimbostack.network.objects.scope import Scope, owned_or_granted

R = SecurityGroupRule
_IS_DEFAULT = exists().where(DefaultSecurityGroup.security_group_id == R.security_group_id)


def visible(scope: Scope) -> ColumnElement[bool]:
    """A rule is visible with its group (joined in the query)."""
    return owned_or_granted(scope, "security_group", SecurityGroup.id, SecurityGroup.project_id)


def _default_filter(values: list[str]) -> ColumnElement[bool]:
    return _IS_DEFAULT if {to_bool(v) for v in values} == {True} else ~_IS_DEFAULT


TABLE = Table(
    id=R.id,
    columns={
        name: getattr(R, name)
        for name in (
            "id",
            "project_id",
            "security_group_id",
            "remote_group_id",
            "remote_address_group_id",
            "direction",
            "ethertype",
            "protocol",
            "port_range_min",
            "port_range_max",
            "remote_ip_prefix",
            "description",
            "revision_number",
            "created_at",
            "updated_at",
        )
    },
    not_found=lambda rule_id: errors.SecurityGroupRuleNotFound(id=rule_id),
    ints=frozenset({"port_range_min", "port_range_max", "revision_number"}),
    filters={"belongs_to_default_sg": _default_filter},
)


def _select(scope: Scope) -> Rows:
    return (
        select(R, _IS_DEFAULT.label("default"), SecurityGroup.project_id)
        .join(SecurityGroup, SecurityGroup.id == R.security_group_id)
        .where(visible(scope))
    )


def view(rule: SecurityGroupRule, default: bool) -> dict[str, Any]:
    return {
        "id": rule.id,
        "tenant_id": rule.project_id,
        "project_id": rule.project_id,
        "security_group_id": rule.security_group_id,
        "direction": rule.direction,
        "ethertype": rule.ethertype,
        "protocol": rule.protocol,
        "port_range_min": rule.port_range_min,
        "port_range_max": rule.port_range_max,
        "remote_ip_prefix": rule.remote_ip_prefix,
        "remote_group_id": rule.remote_group_id,
        "remote_address_group_id": rule.remote_address_group_id,
        "normalized_cidr": rule_checks.normalized_cidr(rule.remote_ip_prefix),
        "belongs_to_default_sg": default,
        "description": rule.description,
        "created_at": iso(rule.created_at),
        "updated_at": iso(rule.updated_at),
        "revision_number": rule.revision_number,
    }


async def search(s: AsyncSession, scope: Scope, req: ListRequest) -> list[dict[str, Any]]:
    page, stmt = await select_page(s, TABLE, _select(scope), req)
    rows = page.finish((await s.execute(stmt)).all())
    return [{**view(r, bool(d)), "security_group:project_id": o} for r, d, o in rows]


async def find(s: AsyncSession, scope: Scope, rule_id: str) -> dict[str, Any]:
    row = (await s.execute(_select(scope).where(R.id == rule_id))).first()
    if row is None:
        raise errors.SecurityGroupRuleNotFound(id=rule_id)
    return {**view(row[0], bool(row[1])), "security_group:project_id": row[2]}


async def of_groups(s: AsyncSession, ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = defaultdict(list)
    if not ids:
        return found
    defaults = set(
        await s.scalars(
            select(DefaultSecurityGroup.security_group_id).where(
                DefaultSecurityGroup.security_group_id.in_(ids)
            )
        )
    )
    rules = await s.scalars(
        select(R).where(R.security_group_id.in_(ids)).order_by(R.security_group_id, R.created_at)
    )
    for rule in rules:
        found[rule.security_group_id].append(view(rule, rule.security_group_id in defaults))
    return found


def _row(sg_id: str, project_id: str, **values: Any) -> SecurityGroupRule:
    base = {
        "protocol": None, "port_range_min": None, "port_range_max": None,
        "remote_ip_prefix": None, "remote_group_id": None, "remote_address_group_id": None,
    }  # fmt: skip
    return SecurityGroupRule(
        **standard.stamp(
            id=standard.new_id(),
            project_id=project_id,
            security_group_id=sg_id,
            **{**base, **values},
        )
    )


async def add_standard(
    s: AsyncSession, sg_id: str, project_id: str, *, default_group: bool
) -> None:
    """Egress anywhere; and for a default group, ingress from its own members."""
    for ethertype in ("IPv4", "IPv6"):
        s.add(_row(sg_id, project_id, direction="egress", ethertype=ethertype))
        if default_group:
            s.add(
                _row(
                    sg_id, project_id, direction="ingress", ethertype=ethertype,
                    remote_group_id=sg_id,
                )
            )  # fmt: skip
    await s.flush()


async def create(s: AsyncSession, conf: Config, rules: list[dict[str, Any]]) -> list[str]:
    """Add rules (all to one group, checked and canonical) after the duplicate check."""
    sg_id = rules[0]["security_group_id"]
    # The quota lock first (as a port create takes it before touching its groups).
    await quotas.check(s, conf, rules[0]["project_id"], {"security_group_rule": len(rules)})
    await s.scalar(select(SecurityGroup.id).where(SecurityGroup.id == sg_id).with_for_update())
    seen: dict[tuple[Any, ...], str] = {}
    existing = await s.scalars(select(R).where(R.security_group_id == sg_id))
    for row in existing:
        seen[rule_checks.key(view(row, False))] = row.id
    new_keys = set()
    for rule in rules:
        rule_key = rule_checks.key(rule)
        if rule_key in new_keys:
            raise errors.DuplicateSecurityGroupRuleInPost()
        if rule_key in seen:
            raise errors.SecurityGroupRuleExists(rule_id=seen[rule_key])
        new_keys.add(rule_key)
    rows = [_row(sg_id, rule["project_id"], **_columns(rule)) for rule in rules]
    s.add_all(rows)
    await s.flush()
    await standard.bump(s, SecurityGroup, sg_id)
    return [row.id for row in rows]


def _columns(rule: dict[str, Any]) -> dict[str, Any]:
    names = (
        "direction", "ethertype", "protocol", "port_range_min", "port_range_max",
        "remote_ip_prefix", "remote_group_id", "remote_address_group_id", "description",
    )  # fmt: skip
    return {name: rule.get(name) for name in names if name in rule}


async def delete_rule(s: AsyncSession, rule_id: str) -> None:
    sg_id = await s.scalar(select(R.security_group_id).where(R.id == rule_id))
    if sg_id is None:
        raise errors.SecurityGroupRuleNotFound(id=rule_id)
    await s.execute(delete(R).where(R.id == rule_id))
    await standard.bump(s, SecurityGroup, sg_id)
