"""Identity benchmarks: cold start, RSS, token validations/s, password token issues/s.

Run: .venv/bin/python -m bench.identity
The cloud is pinned to CPU 0 and the load generators to CPU 1, so "one core" means one.
"""

from __future__ import annotations

import asyncio
import os
import platform
import time

import bcrypt
import httpx

from bench.support import CloudProcess, wrk
from nimbostack.cmd.services import in_up


def _login(cloud: CloudProcess) -> dict[str, object]:
    """The admin's project-scoped password login body."""
    return {
        "auth": {
            "identity": {
                "methods": ["password"],
                "password": {
                    "user": {
                        "name": "admin",
                        "domain": {"id": "default"},
                        "password": cloud.password("admin"),
                    }
                },
            },
            "scope": {"project": {"name": "admin", "domain": {"id": "default"}}},
        }
    }


def _token(cloud: CloudProcess) -> str:
    body = _login(cloud)
    resp = httpx.post(f"{cloud.url('identity')}/v3/auth/tokens", json=body, timeout=30)
    resp.raise_for_status()
    return resp.headers["X-Subject-Token"]


def bare_verify_rate(rounds: int, seconds: float = 5.0) -> float:
    """bcrypt verifications per second on one core: this path's physical limit."""
    os.sched_setaffinity(0, {1})
    hashed = bcrypt.hashpw(b"secret-password", bcrypt.gensalt(rounds))
    count, began = 0, time.perf_counter()
    while time.perf_counter() - began < seconds:
        bcrypt.checkpw(b"secret-password", hashed)
        count += 1
    return count / (time.perf_counter() - began)


async def issue_rate(cloud: CloudProcess, seconds: float = 8.0, concurrency: int = 4) -> float:
    body = _login(cloud)
    url = f"{cloud.url('identity')}/v3/auth/tokens?nocatalog"
    done = 0
    deadline = time.perf_counter() + seconds

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal done
        while time.perf_counter() < deadline:
            resp = await client.post(url, json=body)
            assert resp.status_code == 201, resp.text
            done += 1

    began = time.perf_counter()
    async with httpx.AsyncClient(timeout=60) as client:
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
    return done / (time.perf_counter() - began)


def main() -> None:
    # The load generators (this process, wrk) stay off the server's CPU.
    os.sched_setaffinity(0, {1})
    names = [s.name for s in in_up()]
    rows: list[tuple[str, str, str]] = []
    # No guest image: its first build would download packages during the measurement.
    quiet = {"NIMBOSTACK_IMAGE__GUEST_IMAGE": "false"}
    cold = CloudProcess.start(names, cpus="0", env=quiet)
    rows.append(
        (
            "cold start of `nimbostack up` to all APIs answering (fresh data dir)",
            f"{cold.started_in:.2f} s",
            "≤ 2 s",
        )
    )
    time.sleep(1.0)
    rows.append(("control-plane RSS after start", f"{cold.rss_mb():.0f} MB", "≤ 150 MB"))
    token = _token(cold)
    headers = {"X-Auth-Token": token, "X-Subject-Token": token}
    url = f"{cold.url('identity')}/v3/auth/tokens"
    for label, target in (("with catalog", url), ("?nocatalog", url + "?nocatalog")):
        before = cold.cpu_seconds()
        rate, count = wrk(target, headers)
        per_cpu = count / max(cold.cpu_seconds() - before, 1e-9)
        rows.append(
            (f"token validations/s on one core, wall clock ({label})", f"{rate:.0f}/s", "≥ 2,000/s")
        )
        rows.append(
            (
                f"token validations per CPU-second of the server ({label})",
                f"{per_cpu:.0f}/s",
                "≥ 2,000/s",
            )
        )
    rows.append(("RSS after the validation load", f"{cold.rss_mb():.0f} MB", ""))
    data_dir = cold.data_dir
    cold.stop(remove=False)
    warm = CloudProcess.start(names, cpus="0", data_dir=data_dir, env=quiet)
    rows.append(("warm start (existing data dir)", f"{warm.started_in:.2f} s", ""))
    rounds = 12
    issues = asyncio.run(issue_rate(warm))
    bare = bare_verify_rate(rounds)
    rows.append(
        (
            f"password token issues/s, server on one core (bcrypt cost {rounds})",
            f"{issues:.2f}/s",
            "",
        )
    )
    rows.append(
        (
            f"bare bcrypt verify/s on one core (cost {rounds}), same run",
            f"{bare:.2f}/s",
            "physical limit",
        )
    )
    rows.append(
        ("issues as a share of the bare verify rate", f"{100 * issues / bare:.0f} %", "≥ 90 %")
    )
    warm.stop()
    print(
        f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}; cloud pinned to CPU 0, load on CPU 1.\n"
    )
    print("| measure | result | goal |\n|---|---|---|")
    for measure, result, goal in rows:
        print(f"| {measure} | {result} | {goal} |")


if __name__ == "__main__":
    main()
