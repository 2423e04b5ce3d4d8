"""InstanceRecord: an instance as the conductor hands it to agents over the bus.

One field per column of the ``instances`` table (``metadata`` for the model's
``metadata_``), so that a renamed or retyped column shows up in the type checker
wherever an agent reads it, and a unit test keeps the two in step. It travels as a
JSON object (a call's reply: GetInstance, UpdateInstance) and is rebuilt on receipt.
``network_info`` holds the instance's ports as typed ``Vif``s (``network_info.py``).
Later additions (block-device mappings) become fields of their own, with defaults,
so that an agent can read what an older conductor sends.
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass
from typing import Any

from nimbostack.compute.network_info import Vif, decode
from nimbostack.core.rpc import MalformedMessage


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

    @classmethod
    def from_wire(cls, data: Any) -> InstanceRecord:
        """Rebuild a record from its JSON form; fields this side does not know are ignored."""
        if not isinstance(data, dict):
            raise MalformedMessage(f"an instance record must be an object, not {type(data)}")
        try:
            fields = {k: v for k, v in data.items() if k in _field_names()}
            fields["network_info"] = decode(fields.get("network_info"))
            return cls(**fields)
        except (TypeError, KeyError, ValueError) as exc:
            raise MalformedMessage(f"instance record: {exc}") from None


@functools.cache
def _field_names() -> frozenset[str]:
    return frozenset(f.name for f in dataclasses.fields(InstanceRecord))
