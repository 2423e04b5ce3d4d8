"""The panel registry: every page of the navigation, keyed by the catalog service it needs.

A panel shows only when the user's token catalog has its service type (and, for admin
panels, when the user holds the admin role), so the same dashboard works on a cloud
with or without networking or block storage. Panels of services whose pages are not
written yet are registered with ``ready=False``: the navigation has their place, and
they appear once their views module exists and the flag is flipped.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from nimbostack.dashboard.i18n import _

PROJECT, ADMIN, IDENTITY = "project", "admin", "identity"
NETWORK_TYPES = ("network",)
VOLUME_TYPES = ("block-storage", "volumev3")


def N_(message: str) -> str:
    """Mark a message for extraction; it is translated when shown."""
    return message


@dataclass(frozen=True)
class Panel:
    """One page of the navigation."""

    key: str
    title: str  # a message id, translated when shown
    path: str
    group: str
    services: tuple[str, ...] = ()  # any one of these catalog types must be present
    admin: bool = False
    ready: bool = True

    @property
    def label(self) -> str:
        return _(self.title)


PANELS: tuple[Panel, ...] = (
    Panel("overview", N_("Overview"), "/project/overview", PROJECT, ("compute",)),
    Panel("instances", N_("Instances"), "/project/instances", PROJECT, ("compute",)),
    Panel("images", N_("Images"), "/project/images", PROJECT, ("image",)),
    Panel("keypairs", N_("Key pairs"), "/project/keypairs", PROJECT, ("compute",)),
    Panel("volumes", N_("Volumes"), "/project/volumes", PROJECT, VOLUME_TYPES),
    Panel("networks", N_("Networks"), "/project/networks", PROJECT, NETWORK_TYPES),
    Panel("routers", N_("Routers"), "/project/routers", PROJECT, NETWORK_TYPES),
    Panel(
        "security_groups",
        N_("Security groups"),
        "/project/security-groups",
        PROJECT,
        NETWORK_TYPES,
    ),
    Panel(
        "floating_ips",
        N_("Floating IPs"),
        "/project/floating-ips",
        PROJECT,
        NETWORK_TYPES,
    ),
    Panel("topology", N_("Topology"), "/project/topology", PROJECT, NETWORK_TYPES),
    Panel("all_instances", N_("All instances"), "/admin/instances", ADMIN, ("compute",), True),
    Panel("hypervisors", N_("Hypervisors"), "/admin/hypervisors", ADMIN, ("compute",), True),
    Panel("services", N_("Compute services"), "/admin/services", ADMIN, ("compute",), True),
    Panel("aggregates", N_("Aggregates and zones"), "/admin/aggregates", ADMIN, ("compute",), True),
    Panel("flavors", N_("Flavors"), "/admin/flavors", ADMIN, ("compute",), True),
    Panel("placement", N_("Placement usage"), "/admin/placement", ADMIN, ("placement",), True),
    Panel("quotas", N_("Quotas"), "/admin/quotas", ADMIN, ("compute",), True),
    Panel(
        "volume_types",
        N_("Volume types"),
        "/admin/volume-types",
        ADMIN,
        VOLUME_TYPES,
        True,
        ready=False,
    ),
    Panel("projects", N_("Projects"), "/identity/projects", IDENTITY, ("identity",), True),
    Panel("users", N_("Users"), "/identity/users", IDENTITY, ("identity",), True),
    Panel("groups", N_("Groups"), "/identity/groups", IDENTITY, ("identity",), True),
    Panel("roles", N_("Roles"), "/identity/roles", IDENTITY, ("identity",), True),
)
GROUPS = ((PROJECT, N_("Project")), (ADMIN, N_("Admin")), (IDENTITY, N_("Identity")))


def visible(catalog_types: Iterable[str], is_admin: bool) -> list[Panel]:
    """The panels a user sees: ready, with a service in the catalog, admin ones for admins."""
    have = set(catalog_types)
    return [
        panel
        for panel in PANELS
        if panel.ready
        and (not panel.services or have.intersection(panel.services))
        and (is_admin or not panel.admin)
    ]


def by_key(key: str) -> Panel:
    for panel in PANELS:
        if panel.key == key:
            return panel
    raise KeyError(key)
