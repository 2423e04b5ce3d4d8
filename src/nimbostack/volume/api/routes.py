"""The block storage API's whole route table (Cinder v3).

Every resource path is served twice: ``/v3/{project_id}/...`` and ``/v3/...`` (URLs
need no project id since 3.67; Cinder accepts both forms at every microversion). A
project id in the URL must be the token's own, else 400 "Malformed request url".
The project-less routes come first, so a literal path segment never reads as an id.
"""

from __future__ import annotations

from starlette.responses import Response

from nimbostack.core.api.app import Handler, Route
from nimbostack.core.api.request import ApiRequest
from nimbostack.core.errors import BadRequest
from nimbostack.volume.api import (
    attachments,
    availability_zones,
    backups,
    extensions,
    messages,
    pools,
    qos_specs,
    quotas,
    services,
    snapshots,
    transfers,
    types,
    versions,
    volume_actions,
    volume_create,
    volume_metadata,
    volumes,
)

VOL = "/volumes/{volume_id}"
SNAP = "/snapshots/{snapshot_id}"
BACKUP = "/backups/{backup_id}"
TYPE = "/types/{type_id}"
QOS = "/qos-specs/{qos_id}"
ATT = "/attachments/{attachment_id}"

RESOURCES: list[tuple[str, str, Handler]] = [
    ("GET", "/volumes", volumes.list_volumes),
    ("POST", "/volumes", volume_create.create_volume),
    ("GET", "/volumes/detail", volumes.list_volumes_detail),
    ("GET", "/volumes/summary", volumes.volumes_summary),
    ("GET", VOL, volumes.show_volume),
    ("PUT", VOL, volumes.update_volume),
    ("DELETE", VOL, volumes.delete_volume),
    ("POST", f"{VOL}/action", volume_actions.volume_action),
    ("GET", f"{VOL}/encryption", volumes.show_encryption_metadata),
    ("GET", f"{VOL}/metadata", volume_metadata.show_metadata),
    ("POST", f"{VOL}/metadata", volume_metadata.create_metadata),
    ("PUT", f"{VOL}/metadata", volume_metadata.update_all_metadata),
    ("GET", f"{VOL}/metadata/{{key}}", volume_metadata.show_metadata_item),
    ("PUT", f"{VOL}/metadata/{{key}}", volume_metadata.update_metadata_item),
    ("DELETE", f"{VOL}/metadata/{{key}}", volume_metadata.delete_metadata_item),
    ("GET", "/attachments", attachments.list_attachments),
    ("POST", "/attachments", attachments.create_attachment),
    ("GET", "/attachments/detail", attachments.list_attachments_detail),
    ("GET", ATT, attachments.show_attachment),
    ("PUT", ATT, attachments.update_attachment),
    ("DELETE", ATT, attachments.delete_attachment),
    ("POST", f"{ATT}/action", attachments.complete_attachment),
    ("GET", "/snapshots", snapshots.list_snapshots),
    ("POST", "/snapshots", snapshots.create_snapshot),
    ("GET", "/snapshots/detail", snapshots.list_snapshots_detail),
    ("GET", SNAP, snapshots.show_snapshot),
    ("PUT", SNAP, snapshots.update_snapshot),
    ("DELETE", SNAP, snapshots.delete_snapshot),
    ("POST", f"{SNAP}/action", snapshots.snapshot_action),
    ("GET", f"{SNAP}/metadata", snapshots.snapshot_metadata),
    ("POST", f"{SNAP}/metadata", snapshots.snapshot_metadata),
    ("PUT", f"{SNAP}/metadata", snapshots.snapshot_metadata),
    ("GET", f"{SNAP}/metadata/{{key}}", snapshots.snapshot_metadata_item),
    ("PUT", f"{SNAP}/metadata/{{key}}", snapshots.snapshot_metadata_item),
    ("DELETE", f"{SNAP}/metadata/{{key}}", snapshots.snapshot_metadata_item),
    ("GET", "/backups", backups.list_backups),
    ("POST", "/backups", backups.create_backup),
    ("GET", "/backups/detail", backups.list_backups_detail),
    ("GET", BACKUP, backups.show_backup),
    ("PUT", BACKUP, backups.update_backup),
    ("DELETE", BACKUP, backups.delete_backup),
    ("POST", f"{BACKUP}/restore", backups.restore_backup),
    ("POST", f"{BACKUP}/action", backups.backup_action),
    *(
        route
        for base in ("/os-volume-transfer", "/volume-transfers")
        for route in [
            ("GET", base, transfers.list_transfers),
            ("POST", base, transfers.create_transfer),
            ("GET", f"{base}/detail", transfers.list_transfers_detail),
            ("GET", f"{base}/{{transfer_id}}", transfers.show_transfer),
            ("DELETE", f"{base}/{{transfer_id}}", transfers.delete_transfer),
            ("POST", f"{base}/{{transfer_id}}/accept", transfers.accept_transfer),
        ]
    ),
    ("GET", "/types", types.list_types),
    ("POST", "/types", types.create_type),
    ("GET", "/types/default", types.show_default_type),
    ("GET", TYPE, types.show_type),
    ("PUT", TYPE, types.update_type),
    ("DELETE", TYPE, types.delete_type),
    ("POST", f"{TYPE}/action", types.type_action),
    ("GET", f"{TYPE}/os-volume-type-access", types.list_type_access),
    ("GET", f"{TYPE}/encryption", types.show_encryption),
    ("GET", f"{TYPE}/extra_specs", types.list_extra_specs),
    ("POST", f"{TYPE}/extra_specs", types.create_extra_specs),
    ("GET", f"{TYPE}/extra_specs/{{key}}", types.show_extra_spec),
    ("PUT", f"{TYPE}/extra_specs/{{key}}", types.update_extra_spec),
    ("DELETE", f"{TYPE}/extra_specs/{{key}}", types.delete_extra_spec),
    ("GET", "/qos-specs", qos_specs.list_qos_specs),
    ("POST", "/qos-specs", qos_specs.create_qos_specs),
    ("GET", QOS, qos_specs.show_qos_specs),
    ("PUT", QOS, qos_specs.update_qos_specs),
    ("DELETE", QOS, qos_specs.delete_qos_specs),
    ("PUT", f"{QOS}/delete_keys", qos_specs.delete_qos_keys),
    ("GET", f"{QOS}/associations", qos_specs.list_associations),
    ("GET", f"{QOS}/associate", qos_specs.associate),
    ("GET", f"{QOS}/disassociate", qos_specs.disassociate),
    ("GET", f"{QOS}/disassociate_all", qos_specs.disassociate_all),
    ("GET", "/os-quota-sets/{target_project_id}", quotas.show_quota_set),
    ("PUT", "/os-quota-sets/{target_project_id}", quotas.update_quota_set),
    ("DELETE", "/os-quota-sets/{target_project_id}", quotas.delete_quota_set),
    ("GET", "/os-quota-sets/{target_project_id}/defaults", quotas.show_default_quota_set),
    ("GET", "/os-quota-class-sets/{class_name}", quotas.show_quota_class_set),
    ("PUT", "/os-quota-class-sets/{class_name}", quotas.update_quota_class_set),
    ("GET", "/limits", quotas.show_limits),
    ("GET", "/os-services", services.list_services),
    ("PUT", "/os-services/{action}", services.update_service),
    ("GET", "/os-availability-zone", availability_zones.list_availability_zones),
    ("GET", "/scheduler-stats/get_pools", pools.list_pools),
    ("GET", "/messages", messages.list_messages),
    ("GET", "/messages/{message_id}", messages.show_message),
    ("DELETE", "/messages/{message_id}", messages.delete_message),
    ("GET", "/extensions", extensions.list_extensions),
]


def _own_project(handler: Handler) -> Handler:
    """The handler behind ``/v3/{project_id}/...``: the id must be the caller's."""

    async def checked(req: ApiRequest) -> Response:
        if req.param("project_id") != (req.context.project_id or ""):
            raise BadRequest("Malformed request url")
        return await handler(req)

    checked.__name__ = getattr(handler, "__name__", "handler")
    return checked


ROUTES: list[Route] = [
    Route("GET", "/", versions.list_versions, public=True),
    Route("GET", "/v3", versions.show_v3, public=True),
    Route("GET", "/v3/", versions.show_v3, public=True),
    *(Route(method, f"/v3{path}", handler) for method, path, handler in RESOURCES),
    *(
        Route(method, f"/v3/{{project_id}}{path}", _own_project(handler))
        for method, path, handler in RESOURCES
    ),
]
