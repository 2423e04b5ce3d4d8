"""Scheduler weigher (Cinder's CapacityWeigher): the backend with most room wins."""

from __future__ import annotations

import random

from nimbostack.volume.messages import PoolReport, VolumeSpec
from nimbostack.volume.scheduler.filters import factors, wants_thin


def free_capacity(pool: PoolReport, spec: VolumeSpec) -> float:
    """Virtual free GiB: what a thin backend can still promise, a thick one still hold."""
    return factors(pool, wants_thin(spec)).virtual_free


def best(pools: list[PoolReport], spec: VolumeSpec) -> PoolReport:
    """The pool with the most free capacity; ties broken at random (spreads load)."""
    top = max(free_capacity(p, spec) for p in pools)
    return random.choice([p for p in pools if free_capacity(p, spec) == top])
