"""IPAM and subnet-pool arithmetic: pools, EUI-64, MACs, the next-fit order, carving."""

from __future__ import annotations

import ipaddress

import pytest

from nimbostack.network import errors, ipam
from nimbostack.network.objects.carving import free_blocks, pick


def _pools(*ranges: tuple[str, str]) -> list[ipam.Pool]:
    return [ipam.parse_pool(a, b, ipaddress.ip_address(a).version) for a, b in ranges]


def test_default_pools_leave_out_network_broadcast_and_gateway() -> None:
    assert [str(p) for p in ipam.default_pools("10.0.0.0/24", "10.0.0.1")] == [
        "10.0.0.2-10.0.0.254"
    ]
    assert [str(p) for p in ipam.default_pools("10.0.0.0/24", "10.0.0.100")] == [
        "10.0.0.1-10.0.0.99",
        "10.0.0.101-10.0.0.254",
    ]
    assert [str(p) for p in ipam.default_pools("10.0.0.0/24", None)] == ["10.0.0.1-10.0.0.254"]
    # IPv6 keeps the last address and leaves out the subnet-router anycast one.
    assert [str(p) for p in ipam.default_pools("2001:db8::/126", None)] == [
        "2001:db8::1-2001:db8::3"
    ]


def test_pool_checks() -> None:
    ipam.check_pools(
        _pools(("10.0.0.2", "10.0.0.9"), ("10.0.0.20", "10.0.0.30")), "10.0.0.0/24", "10.0.0.1"
    )
    with pytest.raises(errors.OverlappingAllocationPools):
        ipam.check_pools(
            _pools(("10.0.0.2", "10.0.0.9"), ("10.0.0.9", "10.0.0.30")), "10.0.0.0/24", None
        )
    with pytest.raises(errors.OutOfBoundsAllocationPool):
        ipam.check_pools(_pools(("10.0.0.0", "10.0.0.9")), "10.0.0.0/24", None)
    with pytest.raises(errors.GatewayConflictWithAllocationPools):
        ipam.check_pools(_pools(("10.0.0.2", "10.0.0.9")), "10.0.0.0/24", "10.0.0.5")
    with pytest.raises(errors.InvalidAllocationPool):
        ipam.parse_pool("10.0.0.2", "2001:db8::1", 4)


def test_eui64_follows_the_modified_eui64_rule() -> None:
    assert ipam.eui64("2001:db8::/64", "fa:16:3e:11:22:33") == "2001:db8::f816:3eff:fe11:2233"
    assert ipam.eui64("fd00:1:2:3::/64", "00:00:5e:00:53:01") == "fd00:1:2:3:200:5eff:fe00:5301"


def test_random_macs_keep_the_base_prefix() -> None:
    macs = {ipam.random_mac("fa:16:3e:00:00:00") for _ in range(50)}
    assert all(m.startswith("fa:16:3e:") and len(m) == 17 for m in macs)
    assert len(macs) > 1


def test_candidates_start_at_the_cursor_and_wrap_once() -> None:
    pools = _pools(("10.0.0.2", "10.0.0.4"), ("10.0.0.8", "10.0.0.9"))
    start = int(ipaddress.ip_address("10.0.0.4"))
    order = [str(ipaddress.ip_address(n)) for n in ipam._candidates(pools, start)]
    assert order == ["10.0.0.4", "10.0.0.8", "10.0.0.9", "10.0.0.2", "10.0.0.3"]


def test_in_subnet() -> None:
    assert ipam.in_subnet("10.0.0.0/24", "10.0.0.7")
    assert not ipam.in_subnet("10.0.0.0/24", "10.0.0.255")
    assert not ipam.in_subnet("10.0.0.0/24", "10.0.1.1")
    assert not ipam.in_subnet("10.0.0.0/24", "2001:db8::1")


def test_carving_takes_the_smallest_free_block_that_fits() -> None:
    prefixes = [ipaddress.ip_network("10.0.0.0/16")]
    taken = [ipaddress.ip_network("10.0.0.0/26"), ipaddress.ip_network("10.0.0.128/25")]
    free = free_blocks(prefixes, taken)
    assert str(pick(free, 26)) == "10.0.0.64/26"
    assert str(pick(free, 24)) == "10.0.1.0/24"
    assert pick(free_blocks(prefixes, [ipaddress.ip_network("10.0.0.0/16")]), 28) is None
