"""RequestedDevice: one entry of a create request's ``block_device_mapping_v2``, typed.

The API checks and normalises the entries (``api/block_device_v2.py``); the request
spec carries those that need a volume made at build time (image, snapshot or blank
to a volume) to the agent, which creates the volume on the host it was sent to.
A volume the user names is reserved by the API instead, so of two servers racing
for it one wins at once.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from nimbostack.core.rpc import MalformedMessage

SOURCES = ("image", "volume", "snapshot", "blank")
DESTINATIONS = ("volume", "local")


@dataclass(frozen=True)
class RequestedDevice:
    """A disk the server is to boot with: where it comes from and where it lives."""

    source_type: str
    destination_type: str
    uuid: str | None = None  # the image, volume or snapshot
    boot_index: int | None = None  # None: not bootable
    volume_size: int | None = None
    delete_on_termination: bool = False
    device_name: str | None = None
    tag: str | None = None

    @property
    def makes_volume(self) -> bool:
        """A volume the build creates (and so may delete when the build fails)."""
        return self.destination_type == "volume" and self.source_type != "volume"

    @property
    def is_root_volume(self) -> bool:
        return self.destination_type == "volume" and self.boot_index == 0

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: Any) -> RequestedDevice:
        if not isinstance(data, dict):
            raise MalformedMessage(f"a requested device must be an object, not {type(data)}")
        known = {f.name for f in dataclasses.fields(cls)}
        try:
            return cls(**{k: v for k, v in data.items() if k in known})
        except TypeError as exc:
            raise MalformedMessage(f"requested device: {exc}") from None


def from_spec(spec: dict[str, Any] | None) -> list[RequestedDevice]:
    """The devices of a request spec's ``block_device_mapping`` (none for older specs)."""
    return [RequestedDevice.from_json(d) for d in (spec or {}).get("block_device_mapping") or []]
