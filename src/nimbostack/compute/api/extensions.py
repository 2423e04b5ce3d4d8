"""``/extensions``: the legacy (pre-microversion) extension list, for old clients.

Microversions replaced extensions; the list only names the legacy API families this
service serves, so clients that still probe for them find what is really there.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from nimbostack.core.api.request import ApiRequest
from nimbostack.core.api.responses import json_response
from nimbostack.core.errors import NotFound

_UPDATED = "2014-12-03T00:00:00Z"
_NAMESPACE = "http://docs.openstack.org/compute/ext/fake_xml"

# (alias, name, what it is): one row per API family in routes.py.
_FAMILIES: tuple[tuple[str, str, str], ...] = (
    ("os-admin-actions", "AdminActions", "Administrative server actions (reset state)."),
    ("os-aggregates", "Aggregates", "Host aggregates."),
    ("os-availability-zone", "AvailabilityZone", "Availability zones."),
    ("os-console-output", "ConsoleOutput", "A server's console log."),
    ("os-consoles", "Consoles", "Remote consoles of a server."),
    ("os-create-backup", "CreateBackup", "Server backups with rotation."),
    ("os-flavor-access", "FlavorAccess", "Access to private flavors."),
    ("os-flavor-extra-specs", "FlavorExtraSpecs", "Flavor extra specs."),
    ("os-flavor-manage", "FlavorManage", "Flavor create and delete."),
    ("os-hosts", "Hosts", "Compute hosts (deprecated in favour of os-services)."),
    ("os-hypervisors", "Hypervisors", "Hypervisors and their resources."),
    ("os-instance-actions", "InstanceActions", "The actions and events of a server."),
    ("os-instance-usage-audit-log", "OSInstanceUsageAuditLog", "The usage audit log."),
    ("os-keypairs", "Keypairs", "SSH key pairs."),
    ("os-lock-server", "LockServer", "Lock and unlock a server."),
    ("os-migrate-server", "MigrateServer", "Cold and live migration."),
    ("os-migrations", "Migrations", "The migrations of servers."),
    ("os-pause-server", "PauseServer", "Pause and unpause a server."),
    ("os-quota-class-sets", "QuotaClasses", "The default quota class."),
    ("os-quota-sets", "Quotas", "Per-project quotas."),
    ("os-rescue", "Rescue", "Rescue and unrescue a server."),
    ("os-server-diagnostics", "ServerDiagnostics", "A server's diagnostics."),
    ("os-server-external-events", "ServerExternalEvents", "Events from other services."),
    ("os-server-groups", "ServerGroups", "Server groups and their policies."),
    ("os-server-tags", "ServerTags", "Server tags."),
    ("os-services", "Services", "Compute services."),
    ("os-shelve", "Shelve", "Shelve, offload and unshelve a server."),
    ("os-simple-tenant-usage", "SimpleTenantUsage", "Usage per project."),
    ("os-suspend-server", "SuspendServer", "Suspend and resume a server."),
    ("servers", "Servers", "Servers."),
    ("flavors", "Flavors", "Flavors."),
    ("limits", "Limits", "Absolute limits."),
)


def _view(alias: str, name: str, description: str) -> dict[str, Any]:
    return {
        "alias": alias,
        "name": name,
        "description": description,
        "namespace": _NAMESPACE,
        "updated": _UPDATED,
        "links": [],
    }


async def list_extensions(req: ApiRequest) -> Response:
    return json_response({"extensions": [_view(*row) for row in _FAMILIES]})


async def show_extension(req: ApiRequest) -> Response:
    alias = req.param("alias")
    for row in _FAMILIES:
        if row[0] == alias:
            return json_response({"extension": _view(*row)})
    raise NotFound(f"Extension {alias} could not be found.")
