"""What the conductor puts in placement for a host."""

from __future__ import annotations

from nimbostack.compute.conductor.hosts import inventory_for

RESOURCES = {"vcpus": 8, "memory_mb": 16384, "local_gb": 100}


def test_inventory_carries_ratios_and_reserved() -> None:
    inv = inventory_for(
        RESOURCES,
        {
            "cpu_allocation_ratio": 4.0,
            "ram_allocation_ratio": 1.0,
            "disk_allocation_ratio": 2.0,
            "reserved_host_memory_mb": 512,
            "reserved_host_disk_mb": 1500,
        },
    )
    assert inv["VCPU"] == {"total": 8, "reserved": 0, "max_unit": 8, "allocation_ratio": 4.0}
    assert inv["MEMORY_MB"]["reserved"] == 512 and inv["MEMORY_MB"]["allocation_ratio"] == 1.0
    assert inv["DISK_GB"]["reserved"] == 2 and inv["DISK_GB"]["allocation_ratio"] == 2.0


def test_reserved_never_swallows_a_small_host() -> None:
    inv = inventory_for(
        {"vcpus": 1, "memory_mb": 256, "local_gb": 1}, {"reserved_host_memory_mb": 512}
    )
    assert inv["MEMORY_MB"]["reserved"] == 255 and inv["DISK_GB"]["reserved"] == 0
