"""How a volume looks on the wire, per microversion and per viewer (Cinder's fields)."""

from __future__ import annotations

from typing import Any

from nimbostack.core.api.request import ApiRequest
from nimbostack.volume.api import microversions as mv
from nimbostack.volume.api.scope import at_least, links, timestamp
from nimbostack.volume.db.models import Attachment, Volume
from nimbostack.volume.objects.volumes import Extras


def summary(req: ApiRequest, v: Volume) -> dict[str, Any]:
    return {"id": v.id, "name": v.name, "links": links(req, "volumes", v.id)}


def _attachments(req: ApiRequest, found: list[Attachment]) -> list[dict[str, Any]]:
    privileged = req.context.is_admin or "service" in req.context.roles
    shown = []
    for att in found:
        if att.attach_status != "attached":
            continue
        shown.append(
            {
                "id": att.volume_id,
                "attachment_id": att.id,
                "volume_id": att.volume_id,
                "server_id": att.instance_uuid,
                "host_name": att.attached_host if privileged else None,
                "device": att.mountpoint,
                "attached_at": timestamp(att.attach_time),
            }
        )
    return shown


def detail(req: ApiRequest, v: Volume, x: Extras) -> dict[str, Any]:
    admin = req.context.is_admin
    body: dict[str, Any] = {
        "id": v.id,
        "status": v.status,
        "size": v.size,
        "availability_zone": v.availability_zone,
        "created_at": timestamp(v.created_at),
        "updated_at": timestamp(v.updated_at),
        "name": v.name,
        "description": v.description,
        "volume_type": x.type_names.get(v.volume_type_id),
        "snapshot_id": v.snapshot_id,
        "source_volid": v.source_volid,
        "metadata": x.metadata.get(v.id, {}),
        "links": links(req, "volumes", v.id),
        "user_id": v.user_id,
        "bootable": "true" if v.bootable else "false",
        "encrypted": v.encryption_key_id is not None,
        "replication_status": None,
        "consistencygroup_id": None,
        "multiattach": v.multiattach,
        "attachments": _attachments(req, x.attachments.get(v.id, [])),
    }
    _extensions(req, v, x, body)
    if v.pending_size and (admin or "service" in req.context.service_roles):
        # The size an extend in progress grows to: compute resizes an attached disk
        # to it before it answers with os-extend_volume_completion.
        body["extend_new_size"] = v.pending_size
    if admin:
        body["migration_status"] = v.migration_status
    _versioned(req, v, body)
    return body


def _extensions(req: ApiRequest, v: Volume, x: Extras, body: dict[str, Any]) -> None:
    target = {"project_id": v.project_id}
    if req.allowed("volume_extension:volume_tenant_attribute", target):
        body["os-vol-tenant-attr:tenant_id"] = v.project_id
    if req.allowed("volume_extension:volume_host_attribute", target):
        body["os-vol-host-attr:host"] = v.host
    if req.allowed("volume_extension:volume_mig_status_attribute", target):
        body["os-vol-mig-status-attr:migstat"] = v.migration_status
        body["os-vol-mig-status-attr:name_id"] = None
    image_meta = x.image_metadata.get(v.id)
    if image_meta and req.allowed("volume_extension:volume_image_metadata:show", target):
        body["volume_image_metadata"] = image_meta


def _versioned(req: ApiRequest, v: Volume, body: dict[str, Any]) -> None:
    admin = req.context.is_admin
    if at_least(req, mv.GROUP_VOLUME):
        body["group_id"] = None
    if admin and at_least(req, mv.VOLUME_DETAIL_PROVIDER_ID):
        body["provider_id"] = None
    if at_least(req, mv.SHARED_TARGETS):
        body["shared_targets"] = False
        body["service_uuid"] = v.service_uuid
    if admin and at_least(req, mv.VOLUME_CLUSTER_NAME):
        body["cluster_name"] = None
    if at_least(req, mv.VOLUME_TYPE_ID_IN_VOLUME_DETAIL):
        body["volume_type_id"] = v.volume_type_id
    if at_least(req, mv.ENCRYPTION_KEY_ID_IN_DETAILS) and v.encryption_key_id:
        body["encryption_key_id"] = v.encryption_key_id
    if at_least(req, mv.USE_QUOTA):
        body["consumes_quota"] = v.use_quota
