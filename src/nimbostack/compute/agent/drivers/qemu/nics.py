"""A QEMU guest's NICs: the same tap backend and virtio-net device on the command line
and hot-plugged over QMP, and the unplug that waits for the guest to let go.

Backend and device ids derive from the port id, so whatever plugged a NIC (the
command line or ``device_add``) the unplug finds it. A tap backend is multi-queue (a
queue per vCPU, two at least), as the host's tap is made.
"""

from __future__ import annotations

from typing import Any

from nimbostack.compute.agent.drivers.base import DriverError, Vif
from nimbostack.compute.agent.drivers.qemu import taps
from nimbostack.compute.agent.drivers.qemu.layout import GuestPaths
from nimbostack.compute.agent.drivers.qemu.qmp import QmpClient, QmpError

MAX_QUEUES = 8  # a guest's NIC gets a queue per vCPU, two at least, this many at most


def netdev_id(port_id: str) -> str:
    return "net-" + port_id.replace("-", "")[:24]


def device_id(port_id: str) -> str:
    return "nic-" + port_id.replace("-", "")[:24]


def queues(vcpus: int) -> int:
    return min(max(vcpus, 2), MAX_QUEUES)


def backend(vif: Vif, vcpus: int) -> dict[str, Any]:
    """The NIC's host side: the port's tap, or (no host wiring) restricted user networking
    that cannot reach the host's networks."""
    if not vif.tap:
        return {"type": "user", "id": netdev_id(vif.port_id), "restrict": True}
    return {
        "type": "tap",
        "id": netdev_id(vif.port_id),
        "ifname": vif.tap,
        "script": "no",
        "downscript": "no",
        # The tap is multi-queue, which QEMU opens only with more than one queue.
        "queues": queues(vcpus),
    }


def device(vif: Vif, vcpus: int) -> dict[str, Any]:
    found: dict[str, Any] = {
        "driver": "virtio-net-pci",
        "netdev": netdev_id(vif.port_id),
        "mac": vif.mac,
        "id": device_id(vif.port_id),
    }
    if vif.tap:
        found.update(mq=True, vectors=2 * queues(vcpus) + 2)
    return found


def _flag(value: Any) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    return str(value)


def command_args(vifs: tuple[Vif, ...], vcpus: int) -> list[str]:
    """``-netdev`` and ``-device`` for each NIC of a guest being started."""
    if not vifs:
        return ["-nic", "none"]
    args: list[str] = []
    for vif in vifs:
        net = backend(vif, vcpus)
        dev = device(vif, vcpus)
        args += [
            "-netdev",
            ",".join([net.pop("type"), *(f"{k}={_flag(v)}" for k, v in net.items())]),
        ]
        args += [
            "-device",
            ",".join([dev.pop("driver"), *(f"{k}={_flag(v)}" for k, v in dev.items())]),
        ]
    return args


async def hot_plug(paths: GuestPaths, vif: Vif) -> None:
    """Make the port's tap and add its backend and NIC to the running guest; nothing
    stays behind if a step fails."""
    made = await taps.plug([vif])
    try:
        async with QmpClient(paths.qmp_socket) as qmp:
            vcpus = len(await qmp.execute("query-cpus-fast") or []) or 1
            await qmp.execute("netdev_add", backend(vif, vcpus))
            try:
                await qmp.execute("device_add", device(vif, vcpus))
            except QmpError:
                await qmp.execute("netdev_del", {"id": netdev_id(vif.port_id)})
                raise
    except QmpError as exc:
        await taps.unplug(made)
        raise DriverError(f"cannot attach port {vif.port_id}: {exc}") from None
    except BaseException:
        await taps.unplug(made)
        raise
    _remember(paths, made, add=True)


async def unplug(
    paths: GuestPaths, port_id: str, tap: str | None, timeout: float, *, running: bool
) -> None:
    """Ask a running guest to release the NIC, wait until it did, then drop its backend;
    then remove the tap (a stopped guest's taps stay between its runs).

    A guest that never answers the unplug keeps the NIC (and its tap): the detach fails.
    """
    if running:
        await _unplug_device(paths, port_id, timeout)
    if tap:
        await taps.unplug([tap])
        _remember(paths, [tap], add=False)


async def _unplug_device(paths: GuestPaths, port_id: str, timeout: float) -> None:
    dev = device_id(port_id)
    try:
        async with QmpClient(paths.qmp_socket) as qmp:
            if dev in await _devices(qmp):
                await qmp.execute("device_del", {"id": dev})
                await qmp.wait_event("DEVICE_DELETED", {"device": dev}, timeout)
            try:
                await qmp.execute("netdev_del", {"id": netdev_id(port_id)})
            except QmpError as exc:
                if "not found" not in str(exc).lower():
                    raise
    except QmpError as exc:
        raise DriverError(f"cannot detach port {port_id}: {exc}") from None


def _remember(paths: GuestPaths, names: list[str], *, add: bool) -> None:
    """Keep the guest's state file's tap list (what destroy removes) in step."""
    known = [str(n) for n in paths.read_state().get(taps.STATE_KEY) or []]
    if add:
        known += [n for n in names if n not in known]
    else:
        known = [n for n in known if n not in names]
    paths.write_state(**{taps.STATE_KEY: known})


async def _devices(qmp: QmpClient) -> set[str]:
    found = await qmp.execute("qom-list", {"path": "/machine/peripheral"})
    return {str(item["name"]) for item in found or []}
