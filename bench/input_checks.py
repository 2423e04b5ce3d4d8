"""Benchmark: what the shared input checks cost per request, beside what a boot costs.

Every API decodes its JSON bodies with ``core.api.jsonbody.decode_json`` (orjson, then
one byte scan for nesting, NUL escapes and long digit runs) and checks path and query
text with ``core.api.params.check_params``. This times both against the bare work they
wrap (``orjson.loads``; nothing), interleaved in one process so that a busy machine
slows both sides alike, and prints the added microseconds per call.

Run: .venv/bin/python -m bench.input_checks
"""

from __future__ import annotations

import functools
import statistics
import time
from collections.abc import Callable

import orjson

from nimbostack.core.api.jsonbody import decode_json
from nimbostack.core.api.params import check_params

SERVER_CREATE = orjson.dumps(
    {
        "server": {
            "name": "web-1",
            "imageRef": "70a599e0-31e7-49b7-b260-868f441e862b",
            "flavorRef": "1",
            "networks": "none",
            "min_count": 1,
            "max_count": 1,
            "metadata": {"role": "web", "owner": "team-a"},
            "user_data": "IyEvYmluL3NoCmVjaG8gaGVsbG8K",
        }
    }
)
ALLOCATIONS = orjson.dumps(
    {
        "allocations": {
            "f6b3a3a0-0b0c-4c65-9c3e-2f5f4b1f3c11": {
                "resources": {"VCPU": 1, "MEMORY_MB": 512, "DISK_GB": 1}
            }
        },
        "project_id": "8c2f6d1f0a7e4f0b9d5c3b2a1e0f9d8c",
        "user_id": "1b2c3d4e5f60718293a4b5c6d7e8f901",
        "consumer_generation": None,
    }
)
LARGE = orjson.dumps({"metadata": {f"key-{n}": "v" * 200 for n in range(400)}})
PATH = [("server_id", "70a599e0-31e7-49b7-b260-868f441e862b")]
QUERY = [("limit", "1000"), ("marker", "70a599e0-31e7-49b7-b260-868f441e862b")]
ROUNDS = 31
CALLS = 2000


def _per_call(work: Callable[[], object]) -> float:
    began = time.perf_counter()
    for _ in range(CALLS):
        work()
    return (time.perf_counter() - began) / CALLS * 1e6


def _added(checked: Callable[[], object], bare: Callable[[], object]) -> tuple[float, float]:
    """Median microseconds of the bare call, and what the checked call adds to it."""
    bare_us, extra_us = [], []
    for _ in range(ROUNDS):
        base = _per_call(bare)
        bare_us.append(base)
        extra_us.append(_per_call(checked) - base)
    return statistics.median(bare_us), statistics.median(extra_us)


def main() -> None:
    rows = [
        (f"server create body ({len(SERVER_CREATE)} B)", SERVER_CREATE),
        (f"placement allocations body ({len(ALLOCATIONS)} B)", ALLOCATIONS),
        ("80 KiB metadata body", LARGE),
    ]
    print("| check | bare work | added by the check |")
    print("|---|---|---|")
    for name, raw in rows:
        bare, extra = _added(
            functools.partial(decode_json, raw), functools.partial(orjson.loads, raw)
        )
        print(f"| JSON decode, {name} | {bare:.1f} µs | {extra:.2f} µs |")
    _, extra = _added(lambda: check_params(PATH, QUERY), lambda: None)
    print(f"| path and query text (1 path parameter, 2 query parameters) | — | {extra:.2f} µs |")


if __name__ == "__main__":
    main()
