"""Benchmark: floating IP associate -> the guest reachable from the external side.

Builds the L3 integration tests' host (``tests/integration/host/l3_support.py``: the
networking API in-process on SQLite with its RPC endpoint on the in-memory bus, the
real Linux-bridge agent and the real L3 agent, an external bridge of its own), a router
with one internal network, and a "guest" namespace behind a compute port's tap running
busybox httpd. Then repeats: associate the floating IP through the API and time until
it is ACTIVE and until a new TCP connection from the host to the floating IP reaches the
guest's server (0.05 s connect timeout per probe); disassociate it and time until a new
connection no longer gets through. Needs root, ``ip``, ``nft`` and ``busybox``. Prints
markdown tables (ms).

Usage: .venv/bin/python -m bench.network_l3 [--rounds 20]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from tests.integration.host.l3_support import L3Host, l3_harness

PORT = 8080
# A failed probe costs this much: the figures are this coarse.
PROBE_TIMEOUT = 0.05


async def _reaches(address: str) -> bool:
    """Whether a new TCP connection to ``address`` gets the guest's server."""
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection(address, PORT), PROBE_TIMEOUT)
    except (TimeoutError, OSError):
        return False
    writer.close()
    await writer.wait_closed()
    return True


async def _until(check: Callable[[], Awaitable[bool]], started: float) -> float:
    while not await check():
        if time.monotonic() - started > 30:
            raise RuntimeError("not within 30 s")
    return (time.monotonic() - started) * 1000


async def _round(host: L3Host, fip: dict[str, Any], port_id: str) -> tuple[float, float, float]:
    address = fip["floating_ip_address"]

    async def active() -> bool:
        return await host.fip_status(fip["id"]) == "ACTIVE"

    async def unreachable() -> bool:
        return not await _reaches(address)

    started = time.monotonic()
    await host.associate(fip, port_id)
    reached = await _until(lambda: _reaches(address), started)
    status = await _until(active, started)
    started = time.monotonic()
    await host.associate(fip, None)
    gone = await _until(unreachable, started)
    return status, reached, gone


def _row(name: str, values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"| {name} | {statistics.median(ordered):.0f} ms | {p95:.0f} ms | {ordered[-1]:.0f} ms |"


async def main(rounds: int) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-l3-") as tmp:
        async for host in l3_harness(Path(tmp)):
            net, sub = await host.internal_network("10.67.0.0/24")
            await host.start_agent()
            router = await host.router(sub)
            await host.built(router["id"])
            guest = await host.guest(net, sub["gateway_ip"])
            www = Path(tmp) / "www"
            www.mkdir()
            await guest.serve_http(www, PORT)
            fip = await host.floating_ip(guest.port)
            await host.associate(fip, None)
            await host.idle()
            results = [await _round(host, fip, guest.port["id"]) for _ in range(rounds)]
    print(f"{rounds} rounds\n")
    print("| floating IP | p50 | p95 | max |")
    print("|---|---:|---:|---:|")
    print(_row("associate -> guest reached from the host", [r[1] for r in results]))
    print(_row("associate -> status ACTIVE", [r[0] for r in results]))
    print(_row("disassociate -> guest unreachable", [r[2] for r in results]))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    asyncio.run(main(parser.parse_args().rounds))
