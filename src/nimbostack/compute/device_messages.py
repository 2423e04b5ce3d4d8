"""Compute's RPC messages for the devices of a running server: volume and interface
attachments, from the API to the agent hosting the server (``compute.agent.<host>``).

The rest of compute's contract is in ``compute/messages.py``.
"""

from __future__ import annotations

from dataclasses import dataclass

from nimbostack.compute.messages import InstanceTask
from nimbostack.core.rpc import RemoteExpectedError


@dataclass
class AttachVolume(InstanceTask):
    """api -> agent, cast: connect the reserved volume and give it to the guest.

    The API recorded the block device mapping ``bdm_uuid`` (attaching) and created the
    volume's attachment ``attachment_id`` in block storage (reserved).
    """

    name = "AttachVolume"
    bdm_uuid: str
    volume_id: str
    attachment_id: str


@dataclass
class DetachVolume(InstanceTask):
    """api -> agent, cast: take the volume from the guest and delete its attachment."""

    name = "DetachVolume"
    bdm_uuid: str
    volume_id: str


class PortInUse(RemoteExpectedError):
    """The port to attach went to another device (409, as Nova answers)."""


class InterfaceAttachFailed(RemoteExpectedError):
    """The host could not make, bind or plug the port (the server is as it was)."""


@dataclass
class AttachInterface(InstanceTask):
    """api -> agent, call: make (on ``network_id``) or take ``port_id``, bind it on the
    host, record it in the instance's network info and plug it into the guest.

    Answers the port's id once it is recorded and plugged; failures raise PortInUse or
    InterfaceAttachFailed after undoing every step.
    """

    name = "AttachInterface"
    network_id: str
    port_id: str | None = None
    fixed_ip: str | None = None
    tag: str | None = None


@dataclass
class DetachInterface(InstanceTask):
    """api -> agent, cast: unplug the port from the guest, then delete it (compute made
    it) or unbind it (the user's), and drop it from the instance's network info."""

    name = "DetachInterface"
    port_id: str
