"""Block storage client (Cinder v3): what compute needs to attach volumes to servers.

Compute calls with the user's token and its own service token (X-Service-Token): only
a request carrying a service token may delete an attachment a server still uses.
Attachments follow Nova's flow (3.44): create (reserves the volume), update with the
host's connector (gives ``connection_info``), complete once the guest has the disk,
delete after the guest let go of it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx

from nimbostack.clients import tls
from nimbostack.clients.identity import Session
from nimbostack.clients.rest import RestClient, RestError

VERSION = "3.71"


class VolumeError(RestError):
    """Block storage refused a request; ``status`` and Cinder's fault message say why."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(status, message, "volume")


@dataclass(frozen=True)
class Connection:
    """How a host reaches a volume: ``driver_volume_type`` and its ``data``.

    ``file``: ``data["path"]`` on this host, ``data["format"]`` (qcow2 or raw), opened
    with that format and no backing file. ``data`` also has ``access_mode`` (rw/ro),
    ``qos_specs`` (front-end keys such as ``total_iops_sec``, or None) and
    ``volume_id``. Network transports (``nbd``: host, port, export_name) come later.
    """

    driver_volume_type: str
    data: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_flat(cls, flat: dict[str, Any]) -> Connection | None:
        """Cinder's attachment form (the data with the type beside it) made whole."""
        if not flat:
            return None
        data = {k: v for k, v in flat.items() if k not in ("driver_volume_type", "attachment_id")}
        return cls(str(flat["driver_volume_type"]), data)


@dataclass(frozen=True)
class Attachment:
    id: str
    volume_id: str
    status: str
    instance: str | None
    attach_mode: str | None
    connection: Connection | None

    @classmethod
    def from_body(cls, body: dict[str, Any]) -> Attachment:
        return cls(
            id=str(body["id"]),
            volume_id=str(body["volume_id"]),
            status=str(body["status"]),
            instance=body.get("instance"),
            attach_mode=body.get("attach_mode"),
            connection=Connection.from_flat(body.get("connection_info") or {}),
        )


@dataclass(frozen=True)
class Volume:
    id: str
    status: str
    size: int
    multiattach: bool
    bootable: bool
    attachments: list[dict[str, Any]]
    raw: dict[str, Any]

    @classmethod
    def from_body(cls, body: dict[str, Any]) -> Volume:
        return cls(
            id=str(body["id"]),
            status=str(body["status"]),
            size=int(body["size"]),
            multiattach=bool(body.get("multiattach")),
            bootable=str(body.get("bootable")).lower() == "true",
            attachments=list(body.get("attachments") or []),
            raw=body,
        )


class VolumeClient(RestClient):
    """A client over one block storage endpoint with one token (and a service token)."""

    service = "volume"

    def __init__(
        self,
        session: Session,
        client: httpx.AsyncClient | None = None,
        *,
        service_token: str | None = None,
        version: str = VERSION,
    ) -> None:
        headers = {"OpenStack-API-Version": f"volume {version}"}
        if service_token:
            headers["X-Service-Token"] = service_token
        super().__init__(
            session.endpoint("block-storage"),
            session.token,
            client or httpx.AsyncClient(timeout=60, verify=tls.context()),
            headers,
        )

    async def _send(self, method: str, path: str, body: Any = None) -> Any:
        try:
            return await self.call(method, path, json=body)
        except RestError as exc:
            raise VolumeError(exc.status, exc.message) from None

    # -- volumes ------------------------------------------------------------------------
    async def get_volume(self, volume_id: str) -> Volume:
        return Volume.from_body((await self._send("GET", f"/volumes/{volume_id}"))["volume"])

    async def create_volume(self, size: int | None, **source: Any) -> Volume:
        """A new volume of ``size`` GiB (None: its snapshot's size); ``source`` may name
        imageRef or snapshot_id."""
        fields = {"size": size, **source}
        body = {"volume": {k: v for k, v in fields.items() if v is not None}}
        return Volume.from_body((await self._send("POST", "/volumes", body))["volume"])

    async def delete_volume(self, volume_id: str) -> None:
        await self._send("DELETE", f"/volumes/{volume_id}")

    async def get_encryption_metadata(self, volume_id: str) -> dict[str, Any]:
        """``encryption_key_id`` (and the cipher settings of an encrypted type)."""
        return dict(await self._send("GET", f"/volumes/{volume_id}/encryption"))

    async def _action(self, volume_id: str, name: str, args: Any = None) -> Any:
        return await self._send("POST", f"/volumes/{volume_id}/action", {name: args or {}})

    async def reserve(self, volume_id: str) -> None:
        await self._action(volume_id, "os-reserve")

    async def unreserve(self, volume_id: str) -> None:
        await self._action(volume_id, "os-unreserve")

    async def begin_detaching(self, volume_id: str) -> None:
        await self._action(volume_id, "os-begin_detaching")

    async def roll_detaching(self, volume_id: str) -> None:
        await self._action(volume_id, "os-roll_detaching")

    async def extend(self, volume_id: str, new_size: int) -> None:
        await self._action(volume_id, "os-extend", {"new_size": new_size})

    async def extend_volume_completion(self, volume_id: str, *, error: bool) -> None:
        """Compute's answer to ``volume-extended``: it grew the disk (or failed to)."""
        await self._action(volume_id, "os-extend_volume_completion", {"error": error})

    # -- attachments --------------------------------------------------------------------
    async def create_attachment(
        self,
        volume_id: str,
        instance_uuid: str,
        *,
        connector: dict[str, Any] | None = None,
        mode: str | None = None,
    ) -> Attachment:
        body: dict[str, Any] = {"volume_uuid": volume_id, "instance_uuid": instance_uuid}
        if connector is not None:
            body["connector"] = connector
        if mode is not None:
            body["mode"] = mode
        found = await self._send("POST", "/attachments", {"attachment": body})
        return Attachment.from_body(found["attachment"])

    async def update_attachment(self, attachment_id: str, connector: dict[str, Any]) -> Attachment:
        body = {"attachment": {"connector": connector}}
        found = await self._send("PUT", f"/attachments/{attachment_id}", body)
        return Attachment.from_body(found["attachment"])

    async def complete_attachment(self, attachment_id: str) -> None:
        await self._send("POST", f"/attachments/{attachment_id}/action", {"os-complete": {}})

    async def get_attachment(self, attachment_id: str) -> Attachment:
        found = await self._send("GET", f"/attachments/{attachment_id}")
        return Attachment.from_body(found["attachment"])

    async def delete_attachment(self, attachment_id: str) -> None:
        await self._send("DELETE", f"/attachments/{attachment_id}")

    # -- snapshots ----------------------------------------------------------------------
    async def create_snapshot(
        self, volume_id: str, *, name: str | None = None, force: bool = False
    ) -> dict[str, Any]:
        body = {"snapshot": {"volume_id": volume_id, "name": name, "force": force}}
        return dict((await self._send("POST", "/snapshots", body))["snapshot"])

    async def get_snapshot(self, snapshot_id: str) -> dict[str, Any]:
        return dict((await self._send("GET", f"/snapshots/{snapshot_id}"))["snapshot"])

    async def close(self) -> None:
        await self.client.aclose()
