"""``GET /servers/{id}/diagnostics`` (admin): what the control plane knows of a guest.

The body has the standard (2.48) shape at every microversion. Counters the control
plane does not collect (CPU time, I/O, NIC traffic) are null rather than invented.
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import select
from starlette.responses import Response

from nimbostack.compute import states
from nimbostack.compute.api.deps import state_of
from nimbostack.compute.api.server_lookup import load_server, target
from nimbostack.compute.db.models import ComputeNode, Instance
from nimbostack.core.api.request import ApiRequest
from nimbostack.core.api.responses import json_response
from nimbostack.core.errors import Conflict

_STATES = {
    states.RUNNING: "running",
    states.PAUSED_POWER: "paused",
    states.SHUTDOWN: "shutdown",
    states.CRASHED: "crashed",
    states.SUSPENDED_POWER: "suspended",
}
# Nova's diagnostics name the driver from a closed list; ours drive QEMU (or simulate
# it), and "libvirt" is the entry whose guests look like ours to a client.
_DRIVER = "libvirt"
_NIC_COUNTERS = ("rx_octets", "rx_errors", "rx_drop", "rx_packets", "rx_rate",
                 "tx_octets", "tx_errors", "tx_drop", "tx_packets", "tx_rate")  # fmt: skip
_DISK_COUNTERS = ("read_bytes", "read_requests", "write_bytes", "write_requests", "errors_count")


def diagnostics(instance: Instance, hypervisor: str | None) -> dict[str, Any]:
    flavor = instance.flavor or {}
    vcpus = int(flavor.get("vcpus", 0))
    disks = 1 + (1 if int(flavor.get("ephemeral_gb", 0)) else 0)
    nics = list(instance.network_info or [])
    uptime = int(time.time() - instance.launched_at) if instance.launched_at else None
    return {
        "state": _STATES.get(instance.power_state, "pending"),
        "driver": _DRIVER,
        "hypervisor": hypervisor,
        "hypervisor_os": "linux",
        "uptime": uptime,
        "config_drive": bool(instance.config_drive),
        "num_cpus": vcpus,
        "num_disks": disks,
        "num_nics": len(nics),
        "memory_details": {"maximum": int(flavor.get("memory_mb", 0)), "used": None},
        "cpu_details": [{"id": n, "time": None, "utilisation": None} for n in range(vcpus)],
        "nic_details": [{"mac_address": _mac(nic), **dict.fromkeys(_NIC_COUNTERS)} for nic in nics],
        "disk_details": [dict.fromkeys(_DISK_COUNTERS) for _ in range(disks)],
    }


def _mac(nic: Any) -> str | None:
    mac = nic.get("address") or nic.get("mac_address") if isinstance(nic, dict) else None
    return str(mac) if mac else None


async def show_diagnostics(req: ApiRequest) -> Response:
    state = state_of(req)
    instance = await load_server(req, state)
    req.enforce("os_compute_api:os-server-diagnostics", target(instance))
    if not instance.host:
        raise Conflict(
            f"Cannot 'get_diagnostics' instance {instance.uuid} while it is in "
            f"vm_state {instance.vm_state}"
        )
    async with state.db.session() as s:
        hypervisor = await s.scalar(
            select(ComputeNode.hypervisor_type).where(ComputeNode.host == instance.host).limit(1)
        )
    return json_response(diagnostics(instance, hypervisor))
