"""Security groups as the firewalls see them: rules, remote members, and who to refilter.

``info`` answers an agent's ``GetSecurityGroupsInfo``: the rules of the groups asked
for, plus the addresses of every remote group (the fixed IPs and allowed address pairs
of its member ports) and address group those rules name. ``affected`` widens a set of
groups whose members changed to the groups that use them as remote groups, which is
what ``SecurityGroupsChanged`` must name for every firewall that matches on them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import select, union
from sqlalchemy.ext.asyncio import AsyncSession

from nimbostack.network.agent_messages import (
    GroupAddresses,
    SecurityGroupInfo,
    SecurityGroupRuleInfo,
    SecurityGroupsInfo,
)
from nimbostack.network.db.models import (
    AddressGroupAddress,
    AllowedAddressPair,
    IPAllocation,
    SecurityGroup,
    SecurityGroupPortBinding,
    SecurityGroupRule,
)


async def info(s: AsyncSession, group_ids: Iterable[str]) -> SecurityGroupsInfo:
    """The groups' rules and the addresses of the remote groups they name."""
    wanted = sorted(set(group_ids))
    groups = {
        row.id: SecurityGroupInfo(row.id, row.stateful)
        for row in await s.scalars(select(SecurityGroup).where(SecurityGroup.id.in_(wanted)))
    }
    rules = await s.scalars(
        select(SecurityGroupRule)
        .where(SecurityGroupRule.security_group_id.in_(wanted))
        .order_by(SecurityGroupRule.security_group_id, SecurityGroupRule.id)
    )
    for rule in rules:
        groups[rule.security_group_id].rules.append(_rule(rule))
    remote = {r.remote_group_id for g in groups.values() for r in g.rules if r.remote_group_id}
    named = {
        r.remote_address_group_id
        for g in groups.values()
        for r in g.rules
        if r.remote_address_group_id
    }
    return SecurityGroupsInfo(
        groups=[groups[i] for i in wanted if i in groups],
        remote_groups=await _members(s, remote),
        address_groups=await _address_groups(s, named),
    )


def _rule(rule: SecurityGroupRule) -> SecurityGroupRuleInfo:
    return SecurityGroupRuleInfo(
        id=rule.id,
        security_group_id=rule.security_group_id,
        direction=rule.direction,
        ethertype=rule.ethertype,
        protocol=rule.protocol,
        port_range_min=rule.port_range_min,
        port_range_max=rule.port_range_max,
        remote_ip_prefix=rule.remote_ip_prefix,
        remote_group_id=rule.remote_group_id,
        remote_address_group_id=rule.remote_address_group_id,
    )


async def _members(s: AsyncSession, group_ids: set[str]) -> list[GroupAddresses]:
    """Each group's member addresses: fixed IPs and allowed address pairs of its ports."""
    bound = SecurityGroupPortBinding
    fixed = select(bound.security_group_id, IPAllocation.ip_address.label("address")).join(
        IPAllocation, IPAllocation.port_id == bound.port_id
    )
    pairs = select(bound.security_group_id, AllowedAddressPair.ip_address.label("address")).join(
        AllowedAddressPair, AllowedAddressPair.port_id == bound.port_id
    )
    both = union(
        fixed.where(bound.security_group_id.in_(group_ids)),
        pairs.where(bound.security_group_id.in_(group_ids)),
    ).subquery()
    found: dict[str, list[str]] = defaultdict(list)
    for group_id, address in await s.execute(select(both).order_by(*both.c)):
        found[group_id].append(address)
    return [GroupAddresses(g, found.get(g, [])) for g in sorted(group_ids)]


async def _address_groups(s: AsyncSession, ids: set[str]) -> list[GroupAddresses]:
    found: dict[str, list[str]] = defaultdict(list)
    rows = await s.execute(
        select(AddressGroupAddress.address_group_id, AddressGroupAddress.address)
        .where(AddressGroupAddress.address_group_id.in_(ids))
        .order_by(AddressGroupAddress.address_group_id, AddressGroupAddress.address)
    )
    for ag_id, address in rows:
        found[ag_id].append(address)
    return [GroupAddresses(a, found.get(a, [])) for a in sorted(ids)]


async def refiltered_by_port(s: AsyncSession, port_id: str) -> set[str]:
    """The groups a port is bound to, and the groups whose rules name those as remote.

    What a change of the port's addresses or groups must name in ``SecurityGroupsChanged``
    (one statement: it runs inside port writes).
    """
    bound = SecurityGroupPortBinding
    own = select(bound.security_group_id).where(bound.port_id == port_id)
    users = (
        select(SecurityGroupRule.security_group_id)
        .join(bound, bound.security_group_id == SecurityGroupRule.remote_group_id)
        .where(bound.port_id == port_id)
    )
    both = union(own, users).subquery()
    return set(await s.scalars(select(both.c.security_group_id)))


async def using_address_group(s: AsyncSession, ag_id: str) -> list[str]:
    """Groups with rules naming the address group as their remote."""
    users = await s.scalars(
        select(SecurityGroupRule.security_group_id)
        .where(SecurityGroupRule.remote_address_group_id == ag_id)
        .distinct()
    )
    return sorted(users)
