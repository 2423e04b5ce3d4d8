"""Placement's policy defaults: every API is for admins and services only."""

from __future__ import annotations

from nimbostack.core.auth.policy import RuleDefault, base_rules

ADMIN_OR_SERVICE = "role:admin or role:service"

_RULES = [
    "resource_providers:list",
    "resource_providers:create",
    "resource_providers:show",
    "resource_providers:update",
    "resource_providers:delete",
    "resource_providers:inventories:list",
    "resource_providers:inventories:create",
    "resource_providers:inventories:show",
    "resource_providers:inventories:update",
    "resource_providers:inventories:delete",
    "resource_providers:aggregates:list",
    "resource_providers:aggregates:update",
    "resource_providers:traits:list",
    "resource_providers:traits:update",
    "resource_providers:traits:delete",
    "resource_providers:usages",
    "resource_providers:allocations:list",
    "resource_classes:list",
    "resource_classes:create",
    "resource_classes:show",
    "resource_classes:update",
    "resource_classes:delete",
    "traits:list",
    "traits:show",
    "traits:update",
    "traits:delete",
    "allocations:list",
    "allocations:manage",
    "allocations:update",
    "allocations:delete",
    "usages",
    "allocation_candidates:list",
]


def rules() -> list[RuleDefault]:
    """Every placement rule; operators override them in <policy_dir>/placement.yaml."""
    return [
        *base_rules(),
        *(RuleDefault(f"placement:{name}", ADMIN_OR_SERVICE, name) for name in _RULES),
    ]
