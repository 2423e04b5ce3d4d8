"""The request spec: what the scheduler needs to place one request's instances.

The API builds it when it records the instances (``RequestSpec(...).to_dict()`` goes into
``BuildInstances.request_spec`` and ``Instance.request_spec``); the conductor adds the
retry bookkeeping (``attempts``, ``alternates``) as the build moves between hosts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson


@dataclass
class RequestSpec:
    """One scheduling request.

    ``flavor`` holds flavorid, name, vcpus, memory_mb, root_gb, ephemeral_gb, swap and
    extra_specs; ``image`` is the image's record from the image service (id,
    disk_format, properties such as hypervisor_type and architecture), empty for none.
    ``scheduler_hints`` may carry ``group``, ``same_host`` and ``different_host``.
    ``force_host`` pins the request to one host (admin ``host`` / ``az:host``).
    ``requested_networks`` are the ports each instance gets on its host.
    ``block_device_mapping`` holds the volumes a build makes; ``root_on_volume`` says the
    root disk is one of them, or a volume the user named.
    """

    project_id: str
    user_id: str
    flavor: dict[str, Any]
    image: dict[str, Any] = field(default_factory=dict)
    num_instances: int = 1
    availability_zone: str | None = None
    scheduler_hints: dict[str, Any] = field(default_factory=dict)
    force_host: str | None = None
    ignore_hosts: list[str] = field(default_factory=list)
    attempts: list[str] = field(default_factory=list)
    alternates: list[dict[str, Any]] = field(default_factory=list)
    # RequestedNetwork.to_json() of each entry of the request's networks (none: no ports).
    requested_networks: list[dict[str, Any]] = field(default_factory=list)
    # RequestedDevice.to_json() of each block_device_mapping_v2 entry the build acts on.
    block_device_mapping: list[dict[str, Any]] = field(default_factory=list)
    # The root disk is a volume: no local root disk, so no DISK_GB for it (as Nova).
    root_on_volume: bool = False

    def to_dict(self) -> dict[str, Any]:
        """A deep copy as plain JSON types (orjson: far cheaper than dataclasses.asdict)."""
        return dict(orjson.loads(orjson.dumps(self, option=orjson.OPT_NON_STR_KEYS)))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RequestSpec:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)

    @property
    def group(self) -> str | None:
        """The server group uuid from the ``group`` hint, if any."""
        value = self.scheduler_hints.get("group")
        if isinstance(value, list):
            value = value[0] if value else None
        return str(value) if value else None

    def hint_list(self, name: str) -> list[str]:
        """A hint that may be one string or a list of them (same_host, different_host)."""
        value = self.scheduler_hints.get(name) or []
        return [value] if isinstance(value, str) else [str(v) for v in value]


def placement_resources(flavor: dict[str, Any], *, root_on_volume: bool = False) -> dict[str, int]:
    """The resources a flavor asks of placement, with ``resources:*`` extra-spec overrides.

    A root disk on a volume takes no local disk: its DISK_GB is not claimed.
    """
    resources = {
        "VCPU": int(flavor.get("vcpus", 0)),
        "MEMORY_MB": int(flavor.get("memory_mb", 0)),
        "DISK_GB": (0 if root_on_volume else int(flavor.get("root_gb", 0)))
        + int(flavor.get("ephemeral_gb", 0))
        + _swap_gb(int(flavor.get("swap", 0))),
    }
    for key, value in (flavor.get("extra_specs") or {}).items():
        if key.startswith("resources:"):
            try:
                resources[key.split(":", 1)[1]] = int(value)
            except ValueError:
                continue
    return {rc: amount for rc, amount in resources.items() if amount > 0}


def _swap_gb(swap_mb: int) -> int:
    return (swap_mb + 1023) // 1024


def required_traits(flavor: dict[str, Any], image: dict[str, Any]) -> list[str]:
    """``trait:X=required`` / ``=forbidden`` from flavor extra specs and image properties."""
    found: list[str] = []
    props = dict(image.get("properties") or {})
    props.update({k: v for k, v in image.items() if k.startswith("trait:")})
    for source in (flavor.get("extra_specs") or {}, props):
        for key, value in source.items():
            if not key.startswith("trait:"):
                continue
            name = key.split(":", 1)[1]
            if value == "required":
                found.append(name)
            elif value == "forbidden":
                found.append(f"!{name}")
    return sorted(set(found))
