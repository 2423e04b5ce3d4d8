"""Scheduler weighers: free RAM, vCPU and disk (spread or pack), and soft group policies.

Each weigher's raw values are normalised to 0..1 across the candidates, then multiplied
by its configured multiplier, as Nova does; a negative multiplier packs hosts.
"""

from __future__ import annotations

from collections.abc import Callable

from nimbostack.compute.scheduler.hosts import HostState, RequestFacts

Raw = Callable[[HostState, RequestFacts], float]


def _normalise(values: list[float]) -> list[float]:
    low, high = min(values), max(values)
    if high == low:
        return [0.0 for _ in values]
    return [(v - low) / (high - low) for v in values]


def _soft_group(host: HostState, facts: RequestFacts) -> float:
    count = float(facts.group_hosts[host.host])
    if facts.group_policy == "soft-affinity":
        return count
    if facts.group_policy == "soft-anti-affinity":
        return -count
    return 0.0


def weigh(
    hosts: list[HostState],
    facts: RequestFacts,
    *,
    ram: float = 1.0,
    cpu: float = 1.0,
    disk: float = 1.0,
) -> list[HostState]:
    """The hosts sorted best first, with ``weight`` set."""
    weighers: list[tuple[float, Raw]] = [
        (ram, lambda h, _f: h.free.get("MEMORY_MB", 0.0)),
        (cpu, lambda h, _f: h.free.get("VCPU", 0.0)),
        (disk, lambda h, _f: h.free.get("DISK_GB", 0.0)),
        (1.0, _soft_group),
    ]
    for host in hosts:
        host.weight = 0.0
    if not hosts:
        return hosts
    for multiplier, raw in weighers:
        if not multiplier:
            continue
        for host, value in zip(hosts, _normalise([raw(h, facts) for h in hosts]), strict=True):
            host.weight += multiplier * value
    return sorted(hosts, key=lambda h: h.weight, reverse=True)
