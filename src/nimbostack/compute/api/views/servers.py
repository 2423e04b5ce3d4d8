"""The server body per microversion: the brief list entry and the full show/detail form."""

from __future__ import annotations

import hashlib
import ipaddress
from dataclasses import dataclass, field
from typing import Any, Protocol

from nimbostack.compute import states
from nimbostack.compute.db.models import InstanceFault
from nimbostack.core.api.microversion import Version
from nimbostack.core.timeutil import iso


class ServerRecord(Protocol):
    """What a server body is built from: an Instance, or a row of the listing query."""

    @property
    def uuid(self) -> str: ...
    @property
    def display_name(self) -> str: ...
    @property
    def description(self) -> str | None: ...
    @property
    def hostname(self) -> str: ...
    @property
    def project_id(self) -> str: ...
    @property
    def user_id(self) -> str: ...
    @property
    def image_ref(self) -> str: ...
    @property
    def flavor(self) -> dict[str, Any]: ...
    @property
    def vm_state(self) -> str: ...
    @property
    def task_state(self) -> str | None: ...
    @property
    def power_state(self) -> int: ...
    @property
    def host(self) -> str | None: ...
    @property
    def node(self) -> str | None: ...
    @property
    def availability_zone(self) -> str | None: ...
    @property
    def key_name(self) -> str | None: ...
    @property
    def user_data(self) -> str | None: ...
    @property
    def config_drive(self) -> bool: ...
    @property
    def metadata_(self) -> dict[str, Any]: ...
    @property
    def tags(self) -> list[str]: ...
    @property
    def network_info(self) -> list[Any]: ...
    @property
    def locked(self) -> bool: ...
    @property
    def locked_reason(self) -> str | None: ...
    @property
    def progress(self) -> int: ...
    @property
    def reservation_id(self) -> str: ...
    @property
    def launch_index(self) -> int: ...
    @property
    def access_ip_v4(self) -> str | None: ...
    @property
    def access_ip_v6(self) -> str | None: ...
    @property
    def created_at(self) -> float: ...
    @property
    def updated_at(self) -> float | None: ...
    @property
    def launched_at(self) -> float | None: ...
    @property
    def terminated_at(self) -> float | None: ...
    @property
    def pinned_availability_zone(self) -> str | None: ...


@dataclass
class ServerViewer:
    """What decides the shape of a server body: version, base URL and the caller's rights."""

    version: Version
    base: str  # http://host:port, no path
    admin_attrs: bool = False  # os-extended-server-attributes
    host_status: bool = False  # servers:show:host_status
    extra_specs: bool = False  # os-flavor-extra-specs:index (2.47+ embedded flavor)
    # A listing asks the same questions for every server: remember the answers.
    _versions: dict[str, bool] = field(default_factory=dict, repr=False)
    _image_links: dict[str, list[dict[str, str]]] = field(default_factory=dict, repr=False)

    def at_least(self, low: str) -> bool:
        known = self._versions.get(low)
        if known is None:
            known = self._versions[low] = self.version.matches(low)
        return known

    def image_links(self, image_ref: str) -> list[dict[str, str]]:
        found = self._image_links.get(image_ref)
        if found is None:
            found = self._image_links[image_ref] = [self.links("images", image_ref)[1]]
        return [dict(link) for link in found]

    def links(self, kind: str, ident: str) -> list[dict[str, str]]:
        return [
            {"rel": "self", "href": f"{self.base}/v2.1/{kind}/{ident}"},
            {"rel": "bookmark", "href": f"{self.base}/{kind}/{ident}"},
        ]


def host_id(project_id: str, host: str | None) -> str:
    """Nova's obfuscated hostId: the same host looks the same only within one project."""
    if not host:
        return ""
    return hashlib.sha224((project_id + host).encode()).hexdigest()


def instance_name(uuid: str) -> str:
    return "instance-" + uuid.replace("-", "")[:8]


def brief(viewer: ServerViewer, instance: ServerRecord) -> dict[str, Any]:
    return {
        "id": instance.uuid,
        "name": instance.display_name,
        "links": viewer.links("servers", instance.uuid),
    }


def _usage_time(ts: float | None) -> str | None:
    value = iso(ts, micro=True)
    return value[:-1] if value else None  # Nova prints these without a zone


def _flavor(viewer: ServerViewer, flavor: dict[str, Any]) -> dict[str, Any]:
    if not viewer.at_least("2.47"):
        fid = str(flavor.get("flavorid", ""))
        return {"id": fid, "links": [viewer.links("flavors", fid)[1]]}
    body: dict[str, Any] = {
        "vcpus": flavor.get("vcpus", 0),
        "ram": flavor.get("memory_mb", 0),
        "disk": flavor.get("root_gb", 0),
        "ephemeral": flavor.get("ephemeral_gb", 0),
        "swap": flavor.get("swap", 0),
        "original_name": flavor.get("name", ""),
    }
    if viewer.extra_specs:
        body["extra_specs"] = dict(flavor.get("extra_specs") or {})
    return body


def _image(viewer: ServerViewer, image_ref: str) -> dict[str, Any] | str:
    if not image_ref:
        return ""
    return {"id": image_ref, "links": viewer.image_links(image_ref)}


def _addresses(instance: ServerRecord) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for vif in instance.network_info or []:
        label = (vif.get("network") or {}).get("label", "network")
        for ip in vif.get("ips", []):
            found.setdefault(label, []).append(
                {
                    "version": ip.get("version", 4),
                    "addr": ip.get("address"),
                    "OS-EXT-IPS:type": ip.get("type", "fixed"),
                    "OS-EXT-IPS-MAC:mac_addr": vif.get("address"),
                }
            )
    return found


def _ipv6(address: str | None) -> str:
    """The address in its canonical (compressed) form, as Nova shows it."""
    if not address:
        return ""
    try:
        return ipaddress.IPv6Address(address).compressed
    except ValueError:
        return address


def _extended(viewer: ServerViewer, instance: ServerRecord) -> dict[str, Any]:
    body: dict[str, Any] = {}
    if viewer.admin_attrs:
        body["OS-EXT-SRV-ATTR:host"] = instance.host
        body["OS-EXT-SRV-ATTR:hypervisor_hostname"] = instance.node
        body["OS-EXT-SRV-ATTR:instance_name"] = instance_name(instance.uuid)
        if viewer.at_least("2.3"):
            body["OS-EXT-SRV-ATTR:reservation_id"] = instance.reservation_id
            body["OS-EXT-SRV-ATTR:launch_index"] = instance.launch_index
            body["OS-EXT-SRV-ATTR:kernel_id"] = ""
            body["OS-EXT-SRV-ATTR:ramdisk_id"] = ""
            body["OS-EXT-SRV-ATTR:root_device_name"] = "/dev/vda"
            body["OS-EXT-SRV-ATTR:user_data"] = instance.user_data
    if (viewer.admin_attrs and viewer.at_least("2.3")) or viewer.at_least("2.90"):
        body["OS-EXT-SRV-ATTR:hostname"] = instance.hostname
    return body


def _fault(viewer: ServerViewer, fault: InstanceFault | None) -> dict[str, Any] | None:
    if fault is None:
        return None
    body: dict[str, Any] = {
        "code": fault.code,
        "created": iso(fault.created_at),
        "message": fault.message,
    }
    if viewer.admin_attrs or fault.code != 500:
        body["details"] = fault.details or ""
    return body


def _versioned(viewer: ServerViewer, instance: ServerRecord) -> dict[str, Any]:
    body: dict[str, Any] = {}
    if viewer.at_least("2.9"):
        body["locked"] = bool(instance.locked)
    if viewer.at_least("2.16") and viewer.host_status:
        body["host_status"] = "UP" if instance.host else ""
    if viewer.at_least("2.19"):
        body["description"] = instance.description
    if viewer.at_least("2.26"):
        body["tags"] = list(instance.tags or [])
    if viewer.at_least("2.63"):
        body["trusted_image_certificates"] = None
    if viewer.at_least("2.73"):
        body["locked_reason"] = instance.locked_reason if instance.locked else None
    if viewer.at_least("2.96"):
        body["pinned_availability_zone"] = instance.pinned_availability_zone
    return body


def full(
    viewer: ServerViewer,
    instance: ServerRecord,
    fault: InstanceFault | None = None,
    server_groups: list[str] | None = None,
) -> dict[str, Any]:
    """The show/detail body; ``server_groups`` is given for show (2.71+)."""
    body: dict[str, Any] = {
        **brief(viewer, instance),
        "status": states.server_status(instance.vm_state, instance.task_state),
        "tenant_id": instance.project_id,
        "user_id": instance.user_id,
        "metadata": dict(instance.metadata_ or {}),
        "hostId": host_id(instance.project_id, instance.host),
        "image": _image(viewer, instance.image_ref),
        "flavor": _flavor(viewer, instance.flavor or {}),
        "created": iso(instance.created_at),
        "updated": iso(instance.updated_at or instance.created_at),
        "addresses": _addresses(instance),
        "accessIPv4": instance.access_ip_v4 or "",
        "accessIPv6": _ipv6(instance.access_ip_v6),
        "OS-DCF:diskConfig": "MANUAL",
        "progress": instance.progress or 0,
        "OS-EXT-AZ:availability_zone": instance.availability_zone or "",
        "config_drive": "True" if instance.config_drive else "",
        "key_name": instance.key_name,
        "OS-SRV-USG:launched_at": _usage_time(instance.launched_at),
        "OS-SRV-USG:terminated_at": _usage_time(instance.terminated_at),
        "OS-EXT-STS:task_state": instance.task_state,
        "OS-EXT-STS:vm_state": instance.vm_state,
        "OS-EXT-STS:power_state": instance.power_state,
        VOLUMES_ATTACHED: [],  # filled in by the caller, who reads the mappings
        **_extended(viewer, instance),
        **_versioned(viewer, instance),
    }
    if instance.network_info:
        body["security_groups"] = [{"name": "default"}]
    if instance.vm_state in (states.ERROR, states.DELETED):
        shown = _fault(viewer, fault)
        if shown is not None:
            body["fault"] = shown
    if server_groups is not None and viewer.at_least("2.71"):
        body["server_groups"] = server_groups
    return body


VOLUMES_ATTACHED = "os-extended-volumes:volumes_attached"


def volumes_attached(viewer: ServerViewer, volumes: list[tuple[str, bool]]) -> list[dict[str, Any]]:
    """The server's volumes: their ids, and from 2.3 whether they go with the server."""
    if viewer.at_least("2.3"):
        return [{"id": v, "delete_on_termination": d} for v, d in volumes]
    return [{"id": v} for v, _d in volumes]


_REBUILD_KEYS = frozenset(
    ("id", "name", "links", "status", "tenant_id", "user_id", "metadata", "hostId", "image",
     "flavor", "created", "updated", "addresses", "accessIPv4", "accessIPv6",
     "OS-DCF:diskConfig", "progress", "fault", "locked", "description", "tags",
     "trusted_image_certificates", "server_groups", "locked_reason", "pinned_availability_zone")
)  # fmt: skip


def updated(
    viewer: ServerViewer,
    instance: ServerRecord,
    fault: InstanceFault | None = None,
    server_groups: list[str] | None = None,
) -> dict[str, Any]:
    """The update answer: a reduced show view before 2.75, the whole one from 2.75 on."""
    body = full(viewer, instance, fault, server_groups)
    if viewer.at_least("2.75"):
        return body
    return {k: v for k, v in body.items() if k in _REBUILD_KEYS}


def rebuilt(
    viewer: ServerViewer,
    instance: ServerRecord,
    fault: InstanceFault | None = None,
    server_groups: list[str] | None = None,
) -> dict[str, Any]:
    """The rebuild answer: the update view, with key_name (2.54) and user_data (2.57)."""
    body = updated(viewer, instance, fault, server_groups)
    if viewer.at_least("2.75"):
        body.pop("OS-EXT-SRV-ATTR:user_data", None)
    elif viewer.at_least("2.54"):
        body["key_name"] = instance.key_name
    if viewer.at_least("2.57"):
        body["user_data"] = instance.user_data
    return body
