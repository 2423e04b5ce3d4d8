"""The scheduler's filters and weigher: Cinder's capacity rules with thin provisioning."""

from __future__ import annotations

import dataclasses
import time

import pytest

from nimbostack.volume.messages import NoValidBackend, PoolReport, TypeSpec, VolumeSpec
from nimbostack.volume.scheduler import filters
from nimbostack.volume.scheduler.pools import Pools


def _pool(**changes: object) -> PoolReport:
    base = PoolReport(
        host="h@file",
        backend_name="file",
        pool="file",
        availability_zone="nova",
        driver="file",
        total_capacity_gb=100.0,
        free_capacity_gb=90.0,
        provisioned_capacity_gb=0.0,
        max_over_subscription_ratio=2.0,
        reserved_percentage=0,
        thin_provisioning_support=True,
        thick_provisioning_support=False,
        multiattach=True,
        online_extend=True,
        reported_at=time.time(),
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def _spec(size: int = 1, **specs: str) -> VolumeSpec:
    return VolumeSpec("v", size, "p", "nova", TypeSpec("t", "t", dict(specs)))


def test_thin_pools_promise_up_to_the_over_subscription_ratio() -> None:
    pool = _pool(provisioned_capacity_gb=150.0)
    assert filters.capacity(pool, _spec(50), 50)  # 200 of 100 x 2
    assert not filters.capacity(pool, _spec(51), 51)


def test_reserved_percentage_is_kept_free() -> None:
    pool = _pool(reserved_percentage=10, provisioned_capacity_gb=170.0)
    assert filters.capacity(pool, _spec(10), 10)  # (100 - 10) x 2 = 180
    assert not filters.capacity(pool, _spec(11), 11)


def test_thick_volumes_need_real_free_space_on_a_thick_pool() -> None:
    thick = _pool(thin_provisioning_support=False, thick_provisioning_support=True)
    spec = _spec(91, **{"provisioning:type": "thick"})
    assert not filters.capacity(thick, spec, 91)
    assert filters.capacity(thick, _spec(90, **{"provisioning:type": "thick"}), 90)
    # A thin-only pool cannot give a thick volume at all.
    assert not filters.capacity(_pool(), _spec(1, **{"provisioning:type": "thick"}), 1)


def test_extra_specs_select_the_backend() -> None:
    pool = _pool()
    assert filters.capabilities(pool, _spec(volume_backend_name="file"))
    assert not filters.capabilities(pool, _spec(volume_backend_name="fast"))
    assert filters.capabilities(pool, _spec(multiattach="<is> True"))
    assert not filters.capabilities(pool, _spec(unknown_capability="x"))
    assert filters.capabilities(pool, _spec(**{"provisioning:type": "thin"}))  # scoped: skipped


@pytest.mark.parametrize(
    ("have", "wanted", "ok"),
    [
        (True, "<is> True", True),
        (10, ">= 5", True),
        (10, "< 5", False),
        ("a b", "<in> b", True),
        ("x", "<or> y <or> x", True),
        ("x", "s== x", True),
        ("x", "y", False),
    ],
)
def test_extra_spec_operators(have: object, wanted: str, ok: bool) -> None:
    assert filters.matches(have, wanted) is ok


def test_placement_prefers_room_and_counts_what_it_placed() -> None:
    pools = Pools(down_time=60)
    pools.update(_pool(host="h@a", free_capacity_gb=10.0, total_capacity_gb=10.0))
    pools.update(_pool(host="h@b", free_capacity_gb=50.0, total_capacity_gb=50.0))
    # Thin x2: a can promise 20 GiB, b 100 GiB; only b takes 30 GiB volumes, three times.
    for _ in range(3):
        chosen = pools.select(_spec(30), disabled=set())
        assert chosen.host == "h@b"
        pools.consume(chosen, 30)
    with pytest.raises(NoValidBackend):
        pools.select(_spec(30), disabled=set())


def test_stale_disabled_and_other_zone_backends_are_skipped() -> None:
    pools = Pools(down_time=60)
    pools.update(_pool(host="h@old", reported_at=time.time() - 120))
    pools.update(_pool(host="h@off"))
    pools.update(_pool(host="h@az2", availability_zone="az2"))
    with pytest.raises(NoValidBackend):
        pools.select(_spec(1), disabled={"h@off"})
