"""What a real QEMU opens under a guest's disk: the overlay and its base, never what the base names.

The image checks keep dangerous bases off a host; this is the layer under them. A
base whose header names a host file is put under an overlay behind the checks' back,
and QEMU is started on the driver's command line: QMP's list of open block nodes
must show the overlay and the base, and not the host file. The same guest started
with a plain ``-drive`` (QEMU following the headers) opens the host file: the check
can see it when it happens.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from nimbostack.compute.agent.drivers.base import DriverError, GuestSpec, ImageFiles
from nimbostack.compute.agent.drivers.qemu import chain, command, disks, process
from nimbostack.compute.agent.drivers.qemu.guests import Guests
from nimbostack.compute.agent.drivers.qemu.layout import GuestPaths, Layout
from nimbostack.compute.agent.drivers.qemu.qmp import qmp_execute
from tests.e2e import qemu_support as qs
from tests.e2e.guest_support import qemu_pids
from tests.support.dangerous_images import BY_NAME, host_secret
from tests.support.requires import require_tools

pytestmark = pytest.mark.e2e
host_dir = qs.host_dir


async def _open_files(guests: Guests, paths: GuestPaths, bases: dict[str, chain.Base]) -> set[str]:
    """Start the guest's QEMU with ``bases``; the files its block nodes hold open."""
    spec = GuestSpec(paths.uuid, "safety", "safety", 1, 128, 1)
    argv = command.build(spec, paths, guests.settings, command.Boot(accel="tcg", bases=bases))
    await process.launch(argv, paths)
    try:
        nodes = await qmp_execute(paths.qmp_socket, "query-named-block-nodes")
    finally:
        await guests.kill(paths)
    return {str(node["file"]) for node in nodes if node["drv"] == "file"}


async def test_qemu_never_opens_what_the_base_names(host_dir: Path) -> None:
    require_tools("qemu-img", "qemu-system-x86_64", why="real QEMU opens the disks")
    secret = host_secret(host_dir)
    base = BY_NAME["qcow2-backing"].make(host_dir, secret)
    guests = Guests(qs.settings(), Layout(host_dir / "host1"))
    paths = guests.paths(str(uuid.uuid4()), must_exist=False)
    paths.make_dirs()
    # The overlay as the driver makes it, minus the inspection that would refuse the base.
    argv = ["qemu-img", "create", "-q", "-f", "qcow2", "-u", "-F", "qcow2"]
    await disks.run_tool(*argv, "-b", str(base), str(paths.root_disk), "1M")

    opened = await _open_files(guests, paths, {"root": chain.Base(base, "qcow2")})
    assert opened == {str(paths.root_disk), str(base)}

    followed = await _open_files(guests, paths, {})
    assert str(secret) in followed  # what the line above would have caught


async def test_the_driver_refuses_before_starting_qemu(host_dir: Path) -> None:
    require_tools("qemu-img", "qemu-system-x86_64", why="real QEMU opens the disks")
    secret = host_secret(host_dir)
    base = BY_NAME["qcow2-backing"].make(host_dir, secret)
    guests = Guests(qs.settings(), Layout(host_dir / "host1"))
    paths = guests.paths(str(uuid.uuid4()), must_exist=False)
    paths.make_dirs()
    good = host_dir / "good.qcow2"
    await disks.run_tool("qemu-img", "create", "-q", "-f", "qcow2", str(good), "1M")
    await disks.create_root("qemu-img", ImageFiles("img", "qcow2", good), paths.root_disk, 1)
    good.unlink()
    base.rename(good)  # the cached base changed under the overlay
    spec = GuestSpec(paths.uuid, "safety", "safety", 1, 128, 1)
    with pytest.raises(DriverError, match=r"its base image .* is refused: .*backing file"):
        await guests.start(spec, paths)
    assert guests.pid(paths) is None
    assert qemu_pids(paths.uuid) == []
