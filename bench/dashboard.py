"""Dashboard figures: the instances page at 1,000 servers, first paint, bytes shipped,
memory under load, launch-to-ACTIVE against the API's own, and the network and volume
panels with 100 networks in the project.

    python -m bench.dashboard [--servers 1000] [--requests 200]
    python -m bench.dashboard --panels-only [--networks 100] [--loads 20]

Runs a `nimbostack up` (fake driver) and a dashboard of its own (`nimbostack serve
dashboard`, so its RSS is its alone), both on this machine, and drives the dashboard
with httpx and with Debian's headless Chromium. Prints one table.
"""

from __future__ import annotations

import argparse
import gzip
import re
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from bench.support import free_port
from tests.e2e import dashboard_support as ds
from tests.e2e.test_dashboard_upload import Peak, rss
from tests.support.cloud import VENV_BIN, RunningCloud


def _quota_unlimited(cloud: RunningCloud) -> None:
    admin = cloud.admin_token()
    projects = ds.rest(cloud, admin, "GET", f"{cloud.auth_url}/projects", params={"name": "demo"})
    pid = projects["projects"][0]["id"]
    body = {"quota_set": {"instances": -1, "cores": -1, "ram": -1}}
    ds.rest(cloud, admin, "PUT", f"{cloud.url('compute')}/v2.1/os-quota-sets/{pid}", json=body)


def _boot_many(cloud: RunningCloud, token: str, image: str, count: int) -> None:
    compute = f"{cloud.url('compute')}/v2.1"
    flavors = ds.rest(cloud, token, "GET", f"{compute}/flavors")["flavors"]
    ref = next(f["id"] for f in flavors if f["name"] == "m1.nano")
    left = count
    while left:
        batch = min(left, 100)
        body = {"server": {"name": "bench", "imageRef": image, "flavorRef": ref,
                           "networks": "none", "min_count": batch, "max_count": batch}}  # fmt: skip
        ds.rest(cloud, token, "POST", f"{compute}/servers", json=body)
        left -= batch

    def built() -> bool:
        params = {"status": "BUILD", "limit": 1}
        return not ds.rest(cloud, token, "GET", f"{compute}/servers", params=params)["servers"]

    ds.wait_until(built, 900, "every server to leave BUILD")


def _login(client: httpx.Client, cloud: RunningCloud) -> None:
    page = client.get("/auth/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token is not None
    form = {"csrf_token": token.group(1), "domain": "Default", "username": "demo",
            "password": cloud.password("demo"), "next": "/project/instances"}  # fmt: skip
    assert client.post("/auth/login", data=form).status_code == 200


def _page_times(client: httpx.Client, requests: int) -> list[float]:
    times = []
    for _ in range(requests):
        started = time.perf_counter()
        resp = client.get("/project/instances")
        times.append((time.perf_counter() - started) * 1000.0)
        assert resp.status_code == 200 and "server-" in resp.text
    return times


def _shipped(client: httpx.Client, html: str) -> int:
    """Compressed bytes of the page's scripts and style sheets (and what they import)."""
    paths = set(re.findall(r'(?:src|href)="(/static/[^"?]+)', html))
    paths |= {"/static/stream.js", "/static/inplace.js", "/static/upload.js"}
    total = 0
    for path in paths:
        body = client.get(path).content
        total += len(gzip.compress(body))
    return total


def _load(base: str, cookies: httpx.Cookies, seconds: float, workers: int = 8) -> int:
    done = [0]
    stop = time.monotonic() + seconds

    def work() -> None:
        with httpx.Client(base_url=base, cookies=cookies, timeout=30) as client:
            while time.monotonic() < stop:
                client.get("/project/instances")
                done[0] += 1

    threads = [threading.Thread(target=work) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return done[0]


def _api_to_active(cloud: RunningCloud, token: str, image: str) -> float:
    compute = f"{cloud.url('compute')}/v2.1"
    started = time.perf_counter()
    sid = ds.boot(cloud, token, "api-timed", image)
    url = f"{compute}/servers/{sid}"
    while ds.rest(cloud, token, "GET", url)["server"]["status"] != "ACTIVE":
        time.sleep(0.005)
    return (time.perf_counter() - started) * 1000.0


def _browser(cloud: RunningCloud, base: str, image: str, runs: int) -> dict[str, Any]:
    out: dict[str, Any] = {"fcp": [], "launch": []}
    with ds.playwright() as pw, ds.browser(pw) as context:
        page = context.new_page()
        ds.login(page, base, "demo", cloud.password("demo"))
        for _ in range(runs):
            page.goto(f"{base}/project/instances")
            fcp = page.evaluate(
                "performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? -1"
            )
            out["fcp"].append(float(fcp))
        for n in range(runs):
            page.goto(f"{base}/project/launch")
            page.fill("#name", f"timed-{n}")
            page.select_option("#image", image)
            page.check("input[name=flavor] >> nth=0")
            started = time.perf_counter()
            page.click("#launch-submit")
            page.wait_for_function(
                "document.querySelector('#server-status')?.textContent.trim() === 'ACTIVE'",
                polling="raf", timeout=60_000,
            )  # fmt: skip
            out["launch"].append((time.perf_counter() - started) * 1000.0)
    return out


PANELS = ("/project/networks", "/project/routers", "/project/floating-ips",
          "/project/security-groups", "/project/topology", "/project/volumes",
          "/project/launch")  # fmt: skip


def _networks(cloud: RunningCloud, token: str, count: int) -> str:
    """``count`` networks of the demo project, each with a /24 subnet; the first's id."""
    neutron = f"{cloud.url('network')}/v2.0"
    admin = cloud.admin_token()
    projects = ds.rest(cloud, admin, "GET", f"{cloud.auth_url}/projects", params={"name": "demo"})
    quota = {"quota": {"network": -1, "subnet": -1, "port": -1}}
    pid = projects["projects"][0]["id"]
    ds.rest(cloud, admin, "PUT", f"{neutron}/quotas/{pid}", json=quota)
    first = ""
    for n in range(count):
        body = {"network": {"name": f"bench-net-{n:03d}"}}
        network = ds.rest(cloud, token, "POST", f"{neutron}/networks", json=body)["network"]
        first = first or str(network["id"])
        subnet = {"subnet": {"network_id": network["id"], "ip_version": 4,
                             "cidr": f"10.{100 + n // 250}.{n % 250}.0/24"}}  # fmt: skip
        ds.rest(cloud, token, "POST", f"{neutron}/subnets", json=subnet)
    return first


def _panel_times(client: httpx.Client, paths: list[str], loads: int) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {path: [] for path in paths}
    for path in paths:
        client.get(path)  # warm connections and caches
    for _ in range(loads):
        for path in paths:
            started = time.perf_counter()
            resp = client.get(path)
            times[path].append((time.perf_counter() - started) * 1000.0)
            assert resp.status_code == 200, (path, resp.status_code)
    return times


def panels(networks: int, loads: int) -> None:
    """p50 / p95 page times of the network and volume panels with ``networks`` networks."""
    data_dir = Path(tempfile.mkdtemp(prefix="nimbo-bench-panels-"))
    cloud = RunningCloud.start(data_dir, {"NIMBOSTACK_COMPUTE_AGENT__DRIVER": "fake"})
    port = free_port()
    env = {**cloud.env, "NIMBOSTACK_DASHBOARD__PORT": str(port)}
    log = (data_dir / "dashboard.log").open("wb")
    proc = subprocess.Popen([str(VENV_BIN / "nimbostack"), "serve", "dashboard"], env=env,
                            stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        ds.public_image(cloud)
        token = cloud.project_token("demo", cloud.password("demo"), "demo")
        first = _networks(cloud, token, networks)
        ds.wait_until(lambda: httpx.get(f"{base}/auth/login").status_code == 200, 30, "dashboard")
        with httpx.Client(base_url=base, timeout=30, follow_redirects=True) as client:
            _login(client, cloud)
            times = _panel_times(client, [*PANELS, f"/project/networks/{first}"], loads)
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        cloud.stop()
        shutil.rmtree(data_dir, ignore_errors=True)
    print(f"| page ({networks} networks, {loads} loads) | p50 | p95 |\n|---|---|---|")
    for path, values in times.items():
        shown = "/project/networks/<id>" if path.startswith("/project/networks/") else path
        print(f"| {shown} | {pct(values, 0.5):.1f} ms | {pct(values, 0.95):.1f} ms |")


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--servers", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--panels-only", action="store_true")
    parser.add_argument("--networks", type=int, default=100)
    parser.add_argument("--loads", type=int, default=20)
    args = parser.parse_args()
    if args.panels_only:
        panels(args.networks, args.loads)
        return
    data_dir = Path(tempfile.mkdtemp(prefix="nimbo-bench-dash-"))
    cloud = RunningCloud.start(data_dir, {"NIMBOSTACK_COMPUTE_AGENT__DRIVER": "fake"})
    port = free_port()
    env = {**cloud.env, "NIMBOSTACK_DASHBOARD__PORT": str(port)}
    log = (data_dir / "dashboard.log").open("wb")
    proc = subprocess.Popen([str(VENV_BIN / "nimbostack"), "serve", "dashboard"], env=env,
                            stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        image = ds.public_image(cloud)
        token = cloud.project_token("demo", cloud.password("demo"), "demo")
        _quota_unlimited(cloud)
        _boot_many(cloud, token, image, args.servers)
        ds.wait_until(lambda: httpx.get(f"{base}/auth/login").status_code == 200, 30, "dashboard")
        with httpx.Client(base_url=base, timeout=30, follow_redirects=True) as client:
            _login(client, cloud)
            _page_times(client, 10)  # warm caches and connections
            times = _page_times(client, args.requests)
            shipped = _shipped(client, client.get("/project/instances").text)
            idle = rss(proc.pid)
            sampler = Peak(proc.pid)
            served = _load(base, client.cookies, 20.0)
            peak = sampler.stop()
        api = [_api_to_active(cloud, token, image) for _ in range(args.runs)]
        browser = _browser(cloud, base, image, args.runs)
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        cloud.stop()
        shutil.rmtree(data_dir, ignore_errors=True)
    rows = [
        (f"instances page, {args.servers} servers: p50 / p95", f"{pct(times, .5):.1f} / "
         f"{pct(times, .95):.1f} ms", "≤ 100 / 200 ms"),
        ("first contentful paint, instances page (median)",
         f"{statistics.median(browser['fcp']):.0f} ms", "≤ 500 ms"),
        ("JS + CSS on first load, gzip", f"{shipped / 1024:.1f} KB", "≤ 150 KB"),
        ("dashboard RSS idle / peak under load (8 clients, 20 s)",
         f"{idle / 2**20:.0f} / {peak / 2**20:.0f} MB ({served} pages)", "≤ 80 MB"),
        ("API → ACTIVE (median, polled every 5 ms)", f"{statistics.median(api):.0f} ms", ""),
        ("launch click → ACTIVE shown (median)",
         f"{statistics.median(browser['launch']):.0f} ms", "≤ API's + 200 ms"),
    ]  # fmt: skip
    print("| measure | result | goal |\n|---|---|---|")
    for row in rows:
        print(f"| {row[0]} | {row[1]} | {row[2]} |")


if __name__ == "__main__":
    main()
