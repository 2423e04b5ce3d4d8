"""Scheduler filters (Cinder's): availability zone, capacity with thin provisioning, and
the volume type's extra specs against what each backend reports."""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from nimbostack.volume.messages import PoolReport, VolumeSpec


@dataclass(frozen=True)
class Factors:
    """Cinder's capacity factors of a backend (GiB)."""

    total_available: float
    virtual_free: float
    provisioned_ratio: float


def factors(pool: PoolReport, thin: bool) -> Factors:
    """What a backend can still promise, thin or thick (Cinder's calculate_capacity_factors)."""
    reserved = math.floor(pool.total_capacity_gb * pool.reserved_percentage / 100)
    usable = pool.total_capacity_gb - reserved
    if thin and pool.thin_provisioning_support:
        total_available = usable * pool.max_over_subscription_ratio
        virtual_free = total_available - pool.provisioned_capacity_gb
    else:
        total_available = usable
        virtual_free = min(pool.free_capacity_gb, usable - pool.provisioned_capacity_gb)
    ratio = pool.provisioned_capacity_gb / total_available if total_available else 0.0
    return Factors(total_available, virtual_free, ratio)


def wants_thin(spec: VolumeSpec) -> bool:
    return spec.volume_type.extra_specs.get("provisioning:type") != "thick"


def availability_zone(pool: PoolReport, spec: VolumeSpec) -> bool:
    return not spec.availability_zone or pool.availability_zone == spec.availability_zone


def capacity(pool: PoolReport, spec: VolumeSpec, requested: int) -> bool:
    """Room for ``requested`` GiB more, without passing the over-subscription ratio."""
    if requested <= 0:
        return True
    if pool.total_capacity_gb <= 0:
        return False
    thin = wants_thin(spec)
    if not thin and not pool.thick_provisioning_support:
        return False
    found = factors(pool, thin)
    if thin and pool.thin_provisioning_support and pool.max_over_subscription_ratio >= 1:
        ratio = (pool.provisioned_capacity_gb + requested) / found.total_available
        if ratio > pool.max_over_subscription_ratio:
            return False
    return found.virtual_free >= requested


def capabilities_of(pool: PoolReport) -> dict[str, Any]:
    """What a backend offers, under the names volume type extra specs use."""
    return {
        "volume_backend_name": pool.backend_name,
        "pool_name": pool.pool,
        "driver": pool.driver,
        "storage_protocol": pool.driver,
        "vendor_name": "Nimbostack",
        "multiattach": pool.multiattach,
        "thin_provisioning_support": pool.thin_provisioning_support,
        "thick_provisioning_support": pool.thick_provisioning_support,
        "online_extend_support": pool.online_extend,
        "QoS_support": False,
    }


def capabilities(pool: PoolReport, spec: VolumeSpec) -> bool:
    """Every unscoped (or ``capabilities:``) extra spec is met by the backend."""
    offered = capabilities_of(pool)
    for key, wanted in spec.volume_type.extra_specs.items():
        scope, sep, name = key.partition(":")
        if sep and scope != "capabilities":
            continue  # another filter's or the driver's business
        have = offered.get(name if sep else key)
        if have is None or not matches(have, wanted):
            return False
    return True


_NUMERIC: dict[str, Callable[[float, float], bool]] = {
    "==": operator.eq,
    "!=": operator.ne,
    ">=": operator.ge,
    "<=": operator.le,
    ">": operator.gt,
    "<": operator.lt,
}


def matches(have: Any, wanted: str) -> bool:
    """An extra spec value (``<is> True``, ``<in> x``, ``>= 10``, ``s== x`` or plain)."""
    words = wanted.split(None, 1)
    op, arg = (words[0], words[1] if len(words) > 1 else "") if words else ("", "")
    if op == "<is>":
        return str(have).lower() == arg.strip().lower()
    if op == "<in>":
        return arg.strip() in str(have)
    if op == "<or>":
        return str(have) in [w for w in arg.split() if w != "<or>"]
    if op == "s==":
        return str(have) == arg.strip()
    if op in _NUMERIC:
        try:
            return _NUMERIC[op](float(have), float(arg))
        except (TypeError, ValueError):
            return False
    if isinstance(have, bool):
        return str(have).lower() == wanted.strip().lower()
    return str(have) == wanted.strip()
