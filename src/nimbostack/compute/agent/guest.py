"""Builds a driver's GuestSpec from an instance: flavor, image files, config drive, keys."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from nimbostack.compute.agent.drivers.base import GuestSpec, ImageFiles, Vif, VolumeAttachment
from nimbostack.compute.agent.host import AgentHost
from nimbostack.compute.configdrive import openstack_metadata_files
from nimbostack.compute.instance_record import BDM_ATTACHED as ATTACHED
from nimbostack.compute.instance_record import BDM_DETACHING as DETACHING
from nimbostack.compute.instance_record import InstanceRecord
from nimbostack.compute.network_info import tap_name
from nimbostack.core import tracing
from nimbostack.core.context import RequestContext

BRIDGE = "bridge"  # the VIF type of a port wired by a Linux bridge on the host
DEFAULT_MTU = 1500


def _user_data(raw: str | None) -> bytes | None:
    # The API keeps user_data as the user sent it: base64 text.
    if not raw:
        return None
    try:
        return base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        return raw.encode()


def config_drive(
    instance: InstanceRecord, flavor: dict[str, Any], admin_pass: str | None = None
) -> dict[str, bytes]:
    """The config drive's files; ``admin_pass`` (a build's, never stored) goes in its
    meta_data.json, from which the guest sets root's password."""
    keys = {instance.key_name: instance.key_data or ""} if instance.key_name else {}
    return openstack_metadata_files(
        instance.uuid,
        instance.hostname or instance.display_name,
        instance.display_name,
        keys,
        _user_data(instance.user_data),
        None,
        meta={str(k): str(v) for k, v in (instance.metadata or {}).items()},
        availability_zone=instance.availability_zone or "nova",
        project_id=instance.project_id,
        launch_index=int(instance.launch_index or 0),
        instance_type=str(flavor.get("name", "")),
        image_id=str(instance.image_ref or ""),
        admin_pass=admin_pass or None,
    )


async def image_files(
    agent: AgentHost, ctxt: RequestContext, image_id: str, disk_format: str = ""
) -> ImageFiles | None:
    """The image from the host's cache, or just its id for drivers that need no files."""
    if not image_id:
        return None
    if not agent.driver.needs_image_files:
        return ImageFiles(image_id=image_id, disk_format=disk_format or "qcow2")
    with tracing.span("agent.image_cache", service="compute-agent", image_id=image_id):
        return await agent.images.fetch(image_id, agent.access(ctxt))


def _boots_from_volume(instance: InstanceRecord) -> bool:
    return any(b.boot_index == 0 for b in instance.block_device_mappings)


async def volume_boot_files(
    agent: AgentHost, ctxt: RequestContext, instance: InstanceRecord
) -> ImageFiles:
    """What the root volume's image says of booting it (kernel, ramdisk, command line).

    The API put the root volume's image record (its ``volume_image_metadata``, or the
    image it is made from) in the request spec.
    """
    record = dict((instance.request_spec or {}).get("image") or {})
    props = {str(k): v for k, v in (record.get("properties") or {}).items()}
    image_id = str(record.get("id") or "")
    if not agent.driver.needs_image_files or not (
        props.get("kernel_id") or props.get("ramdisk_id")
    ):
        return ImageFiles(image_id=image_id, disk_format="raw", properties=props)
    with tracing.span("agent.image_cache", service="compute-agent", image_id=image_id):
        return await agent.images.fetch_boot_files(image_id, props, agent.access(ctxt))


def attached_volumes(instance: InstanceRecord) -> tuple[VolumeAttachment, ...]:
    """The volumes the guest has (or still has, while they detach), with their connection."""
    found = []
    for bdm in instance.block_device_mappings:
        info = bdm.connection_info or {}
        if bdm.status in (ATTACHED, DETACHING) and info.get("driver_volume_type"):
            found.append(
                VolumeAttachment(
                    volume_id=bdm.volume_id,
                    device=bdm.device_name,
                    driver_volume_type=str(info["driver_volume_type"]),
                    connection=dict(info.get("data") or {}),
                    boot_index=bdm.boot_index,
                )
            )
    return tuple(found)


async def guest_spec(
    agent: AgentHost,
    ctxt: RequestContext,
    instance: InstanceRecord,
    *,
    flavor: dict[str, Any] | None = None,
    image_ref: str | None = None,
    rescue_image_ref: str | None = None,
    with_image: bool = True,
    admin_pass: str | None = None,
) -> GuestSpec:
    flavor = flavor or instance.flavor
    image_id = instance.image_ref if image_ref is None else image_ref
    image = await image_files(agent, ctxt, str(image_id or "")) if with_image else None
    if with_image and image is None and _boots_from_volume(instance):
        image = await volume_boot_files(agent, ctxt, instance)
    rescue = await image_files(agent, ctxt, rescue_image_ref) if rescue_image_ref else None
    wants_drive = instance.config_drive or agent.conf.compute.force_config_drive
    return GuestSpec(
        uuid=instance.uuid,
        name=instance.display_name,
        hostname=instance.hostname or instance.display_name,
        vcpus=int(flavor["vcpus"]),
        memory_mb=int(flavor["memory_mb"]),
        root_gb=int(flavor.get("root_gb", 0)),
        ephemeral_gb=int(flavor.get("ephemeral_gb", 0)),
        swap_mb=int(flavor.get("swap", 0) or 0),
        image=image,
        config_drive=config_drive(instance, flavor, admin_pass) if wants_drive else None,
        extra_specs={str(k): str(v) for k, v in (flavor.get("extra_specs") or {}).items()},
        rescue_image=rescue,
        volumes=attached_volumes(instance),
        vifs=host_vifs(instance),
    )


def host_vifs(instance: InstanceRecord) -> tuple[Vif, ...]:
    """The guest's NICs: each port the networking service bound as a bridge gets a tap.

    The tap is named as the networking service's L2 agent looks for it; that agent
    plugs it into the network's bridge once it appears.
    """
    return tuple(
        Vif(
            port_id=vif.id,
            mac=vif.address,
            bridge=str(vif.details.get("bridge_name") or "") or None,
            tap=tap_name(vif.id),
            mtu=vif.network.mtu or DEFAULT_MTU,
        )
        for vif in instance.network_info
        if vif.type == BRIDGE
    )
