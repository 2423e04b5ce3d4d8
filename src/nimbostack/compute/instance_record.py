"""InstanceRecord: an instance as the conductor hands it to agents over the bus.

One field per column of the ``instances`` table (``metadata`` for the model's
``metadata_``), so that a renamed or retyped column shows up in the type checker
wherever an agent reads it, and a unit test keeps the two in step. It travels as a
JSON object (a call's reply: GetInstance, UpdateInstance) and is rebuilt on receipt.
``network_info`` holds the instance's ports as typed ``Vif``s (``network_info.py``).
Later additions become fields of their own, with defaults, so that an agent can read
what an older conductor sends: ``block_device_mappings`` (the server's volumes, from
their own table) is one.
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass
from typing import Any

from nimbostack.compute.network_info import Vif, decode
from nimbostack.core.rpc import MalformedMessage

# A block device's status: being attached, attached, being detached.
BDM_ATTACHING, BDM_ATTACHED, BDM_DETACHING = "attaching", "attached", "detaching"


@dataclass(frozen=True)
class BlockDevice:
    """A volume of the server: its Cinder attachment, guest device and connection."""

    uuid: str
    volume_id: str
    attachment_id: str | None
    device_name: str
    tag: str | None
    delete_on_termination: bool
    status: str  # attaching, attached, detaching
    connection_info: dict[str, Any] | None = None
    boot_index: int | None = None  # 0: the server boots from this volume

    @classmethod
    def from_wire(cls, data: Any) -> BlockDevice:
        if not isinstance(data, dict):
            raise MalformedMessage(f"a block device must be an object, not {type(data)}")
        known = {f.name for f in dataclasses.fields(cls)}
        try:
            return cls(**{k: v for k, v in data.items() if k in known})
        except TypeError as exc:
            raise MalformedMessage(f"block device: {exc}") from None


@dataclass(frozen=True)
class InstanceRecord:
    """One instance's columns, read-only: changes go back through UpdateInstance."""

    uuid: str
    display_name: str
    description: str | None
    hostname: str
    project_id: str
    user_id: str
    image_ref: str
    flavor: dict[str, Any]
    old_flavor: dict[str, Any] | None
    new_flavor: dict[str, Any] | None
    vm_state: str
    task_state: str | None
    power_state: int
    host: str | None
    node: str | None
    availability_zone: str | None
    key_name: str | None
    key_data: str | None
    user_data: str | None
    config_drive: bool
    metadata: dict[str, Any]
    system_metadata: dict[str, Any]
    tags: list[str]
    request_spec: dict[str, Any]
    network_info: list[Vif]
    locked: bool
    locked_by: str | None
    locked_reason: str | None
    progress: int
    reservation_id: str
    launch_index: int
    access_ip_v4: str | None
    access_ip_v6: str | None
    created_at: float
    updated_at: float | None
    launched_at: float | None
    terminated_at: float | None
    deleted_at: float | None
    deleted: bool
    block_device_mappings: tuple[BlockDevice, ...] = ()

    @classmethod
    def from_wire(cls, data: Any) -> InstanceRecord:
        """Rebuild a record from its JSON form; fields this side does not know are ignored."""
        if not isinstance(data, dict):
            raise MalformedMessage(f"an instance record must be an object, not {type(data)}")
        values = {k: v for k, v in data.items() if k in _field_names()}
        devices = values.get("block_device_mappings") or ()
        if not isinstance(devices, (list, tuple)):
            raise MalformedMessage("block_device_mappings must be a list")
        values["block_device_mappings"] = tuple(BlockDevice.from_wire(d) for d in devices)
        try:
            values["network_info"] = decode(values.get("network_info"))
            return cls(**values)
        except (TypeError, KeyError, ValueError) as exc:
            raise MalformedMessage(f"instance record: {exc}") from None


@functools.cache
def _field_names() -> frozenset[str]:
    return frozenset(f.name for f in dataclasses.fields(InstanceRecord))
