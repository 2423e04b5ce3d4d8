"""Benchmark: security group rule change -> enforced on the host, with the nftables firewall.

Builds the integration tests' host (``tests/support/firewall_host.py``: the networking
API in-process, a host namespace with a bridge, two guest namespaces, the real
``NftFirewall``), then repeats: add an ingress ICMP rule through the API and time until
the ruleset holds it and until a new ping gets through; delete it and time until the
ruleset drops it. Then times, for many ports (taps need not exist for nft to accept
the ruleset), a resync (``apply``: both tables) and a rule change (``groups_changed``:
the inet table only). Needs root, ``ip`` and ``nft``. Prints markdown tables (ms).

Usage: .venv/bin/python -m bench.security_groups [--rounds 20] [--ports 10,100,500]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

from nimbostack.core import netdev
from nimbostack.network.agent_messages import (
    DeviceDetails,
    GroupAddresses,
    SecurityGroupInfo,
    SecurityGroupRuleInfo,
    SecurityGroupsInfo,
)
from nimbostack.network.agents.firewall.driver import NftFirewall
from tests.support.firewall_host import FirewallLab, firewall_lab

ICMP_IN = {"direction": "ingress", "protocol": "icmp"}


async def _until(check: Callable[[], Awaitable[bool]], started: float) -> float:
    while not await check():
        if time.monotonic() - started > 10:
            raise RuntimeError("not enforced within 10 s")
    return (time.monotonic() - started) * 1000


async def _round(lab: FirewallLab, group: dict[str, str], a: object, b: object) -> list[float]:
    async def in_ruleset() -> bool:
        out = await lab.nft("list", "table", "inet", lab.firewall.table)
        return "l4proto icmp accept" in out

    async def not_in_ruleset() -> bool:
        return not await in_ruleset()

    started = time.monotonic()
    rule = await lab.rule(group, **ICMP_IN)
    applied = await _until(in_ruleset, started)
    passing = await _until(lambda: lab.ping(a, b, timeout=0.2), started)  # type: ignore[arg-type]
    started = time.monotonic()
    await lab.delete_rule(rule)
    removed = await _until(not_in_ruleset, started)
    return [applied, passing, removed]


async def _rule_changes(rounds: int) -> list[list[float]]:
    with tempfile.TemporaryDirectory() as tmp:
        async with firewall_lab(Path(tmp)) as lab:
            net = await lab.network("10.69.0.0/24")
            group = await lab.group("bench")
            a = await lab.guest(net, security_groups=[group["id"]])
            b = await lab.guest(net, security_groups=[group["id"]])
            return [await _round(lab, group, a, b) for _ in range(rounds)]


class _NoPlugin:
    """Stands in for network-server: the rules are fixed, so no RPC is timed."""


async def _full_rewrite(ports: int, netns: str) -> tuple[float, float]:
    group = "b0000000-0000-4000-8000-000000000000"
    rules = [
        SecurityGroupRuleInfo(f"r{p}", group, "ingress", "IPv4", "tcp", p, p) for p in (22, 80)
    ] + [SecurityGroupRuleInfo("r-icmp", group, "ingress", "IPv4", "icmp", remote_group_id=group)]
    members = [f"10.{i // 250}.{i % 250}.10" for i in range(ports)]
    info = SecurityGroupsInfo(
        [SecurityGroupInfo(group, True, rules)], [GroupAddresses(group, members)]
    )
    details = [
        DeviceDetails(
            device=f"tap{i:011d}",
            port_id=f"{i:08d}-0000-4000-8000-{i:012d}",
            network_id=f"{i % 10:08d}-net",
            mac_address=f"fa:16:3e:00:{i // 256:02x}:{i % 256:02x}",
            fixed_ips=[members[i]],
            security_group_ids=[group],
        )
        for i in range(ports)
    ]
    firewall = NftFirewall(_NoPlugin(), "bench", table="nimbostack-sg-bench", netns=netns)  # type: ignore[arg-type]

    async def info_of(group_ids: list[str]) -> SecurityGroupsInfo:
        return info

    firewall._info = info_of  # type: ignore[method-assign]
    try:
        started = time.monotonic()
        await firewall.apply(details)
        full = (time.monotonic() - started) * 1000
        started = time.monotonic()
        await firewall.groups_changed([group], [])
        return full, (time.monotonic() - started) * 1000
    finally:
        await firewall.clear()


async def _rewrites(sizes: list[int]) -> dict[int, tuple[float, float]]:
    netns = f"fw-bench-{uuid.uuid4().hex[:6]}"
    await netdev.add_namespace(netns)
    try:
        found = {}
        for n in sizes:
            runs = [await _full_rewrite(n, netns) for _ in range(3)]
            found[n] = (
                statistics.median(r[0] for r in runs),
                statistics.median(r[1] for r in runs),
            )
        return found
    finally:
        await netdev.delete_namespace(netns)


def _row(name: str, values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"| {name} | {statistics.median(values):.0f} | {p95:.0f} | {max(values):.0f} |"


async def main(rounds: int, sizes: list[int]) -> None:
    results = await _rule_changes(rounds)
    print(f"Rule change -> enforced, {rounds} rounds (ms)\n")
    print("| step | p50 | p95 | max |\n|---|---|---|---|")
    names = ("rule create -> in ruleset", "rule create -> new ping passes", "rule delete -> gone")
    for index, name in enumerate(names):
        print(_row(name, [r[index] for r in results]))
    print("\nRuleset rewrites for many ports, median of 3 (ms)\n")
    print("| ports | resync (`apply`, both tables) | rules changed (`groups_changed`, inet) |")
    print("|---|---|---|")
    for ports, (full, inet) in (await _rewrites(sizes)).items():
        print(f"| {ports} | {full:.0f} | {inet:.0f} |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--ports", default="10,100,500")
    args = parser.parse_args()
    asyncio.run(main(args.rounds, [int(n) for n in args.ports.split(",")]))
