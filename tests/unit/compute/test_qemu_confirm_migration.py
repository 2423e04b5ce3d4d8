"""Confirming a cold migration on the source leaves a shared disks directory alone.

Hosts that share [qemu] disks_path see the destination's disks exactly where the
source's were; the source's own disks went to the resize directory. Before this was
fixed the source's confirm deleted the disks the destination's guest runs from.
"""

from __future__ import annotations

from pathlib import Path

from nimbostack.compute.agent.drivers.qemu.guests import Guests
from nimbostack.compute.agent.drivers.qemu.layout import Layout
from nimbostack.compute.agent.drivers.qemu.migrate import confirm_migration
from nimbostack.compute.agent.drivers.qemu.options import QemuSettings

UUID = "5b0c6c2e-9d1b-4a59-8d7e-3f3b2f0b7a11"


def _migrated_away(layout: Layout) -> Guests:
    """The source after the move: its state says so, its old disks sit aside."""
    guests = Guests(QemuSettings(), layout)
    paths = layout.guest(UUID)
    paths.write_state(migrated_away=True)
    aside = layout.resize_dir(UUID)
    aside.mkdir(parents=True)
    (aside / "disk").write_bytes(b"old")
    return guests


async def test_shared_disks_of_the_destination_survive(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    source = Layout(tmp_path / "hosta", shared)
    guests = _migrated_away(source)
    dest_disk = source.guest(UUID).root_disk  # the same path on the destination host
    dest_disk.parent.mkdir(parents=True)
    dest_disk.write_bytes(b"new")
    await confirm_migration(guests, UUID)
    assert dest_disk.read_bytes() == b"new"
    assert not source.resize_dir(UUID).parent.exists()
    assert not source.guest(UUID).run_dir.exists()


async def test_own_disks_are_removed_with_the_guest(tmp_path: Path) -> None:
    source = Layout(tmp_path / "hosta")  # disks inside the instances path
    guests = _migrated_away(source)
    await confirm_migration(guests, UUID)
    assert not source.guest(UUID).run_dir.exists()
    assert not source.resize_dir(UUID).parent.exists()
    assert not source.guest(UUID).disk_dir.exists()
