"""Domain-specific configuration: the groups and options a domain may override.

Only the ``identity`` and ``ldap`` groups are configurable per domain, as in Keystone.
Nimbostack stores these settings and serves them back; it has no LDAP driver to use them.
Sensitive options are accepted and stored but never returned.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from nimbostack.core.errors import BadRequest, Forbidden, NotFound
from nimbostack.identity.db.extension_models import DomainConfigOption

# Defaults served by GET /v3/domains/config/default (and used when a domain sets none).
DEFAULTS: dict[str, dict[str, Any]] = {
    "identity": {"driver": "sql", "list_limit": None},
    "ldap": {
        "url": "ldap://localhost",
        "user": None,
        "suffix": "cn=example,cn=com",
        "query_scope": "one",
        "page_size": 0,
        "chase_referrals": None,
        "use_tls": False,
        "user_tree_dn": None,
        "user_filter": None,
        "user_objectclass": "inetOrgPerson",
        "user_id_attribute": "cn",
        "user_name_attribute": "sn",
        "user_description_attribute": "description",
        "user_mail_attribute": "mail",
        "user_enabled_attribute": "enabled",
        "user_enabled_mask": 0,
        "user_enabled_default": "True",
        "group_tree_dn": None,
        "group_filter": None,
        "group_objectclass": "groupOfNames",
        "group_id_attribute": "cn",
        "group_name_attribute": "ou",
        "group_member_attribute": "member",
        "group_desc_attribute": "description",
    },
}
SENSITIVE: dict[str, tuple[str, ...]] = {"identity": (), "ldap": ("password",)}

Config = dict[str, dict[str, Any]]


def check_option(group: str, option: str | None = None) -> None:
    """Reject groups and options a domain may not override (403, as Keystone does)."""
    if group not in DEFAULTS:
        raise Forbidden(f"Invalid domain specific configuration: group {group} is not supported.")
    if option is not None and option not in DEFAULTS[group] and option not in SENSITIVE[group]:
        raise Forbidden(
            f"Invalid domain specific configuration: option {option} in group {group} "
            "is not supported."
        )


def check_config(config: Config) -> None:
    if not config:
        raise BadRequest("Invalid domain specific configuration: the config is empty.")
    for group, options in config.items():
        check_option(group)
        if not isinstance(options, dict) or not options:
            raise BadRequest(
                f"Invalid domain specific configuration: group {group} must be a non-empty object."
            )
        for option in options:
            check_option(group, option)


def default(group: str | None = None, option: str | None = None) -> dict[str, Any]:
    """The body of the ``.../default`` lookups."""
    if group is None:
        return {g: dict(opts) for g, opts in DEFAULTS.items()}
    if group not in DEFAULTS or (option is not None and option not in DEFAULTS[group]):
        name = group if option is None else f"{group}.{option}"
        raise NotFound(f"Could not find domain config default: {name}.")
    if option is None:
        return {group: dict(DEFAULTS[group])}
    return {option: DEFAULTS[group][option]}


async def load(s: AsyncSession, domain_id: str) -> Config:
    """The domain's stored configuration without its sensitive options."""
    rows = await s.scalars(
        select(DomainConfigOption).where(DomainConfigOption.domain_id == domain_id)
    )
    config: Config = {}
    for row in rows:
        if row.option not in SENSITIVE.get(row.group, ()):
            config.setdefault(row.group, {})[row.option] = row.value
    return config


async def merge(s: AsyncSession, domain_id: str, config: Config) -> None:
    """Set every option named in ``config``, keeping the others."""
    for group, options in config.items():
        for option, value in options.items():
            key = (domain_id, group, option)
            row = await s.get(DomainConfigOption, key)
            if row is None:
                row = DomainConfigOption(domain_id=domain_id, group=group, option=option)
                s.add(row)
            row.value = value
    await s.flush()


async def remove(
    s: AsyncSession, domain_id: str, group: str | None = None, option: str | None = None
) -> int:
    """Delete the whole config, one group, or one option; returns how many rows went."""
    stmt = delete(DomainConfigOption).where(DomainConfigOption.domain_id == domain_id)
    if group is not None:
        stmt = stmt.where(DomainConfigOption.group == group)
    if option is not None:
        stmt = stmt.where(DomainConfigOption.option == option)
    result = await s.execute(stmt)
    return int(getattr(result, "rowcount", 0) or 0)
