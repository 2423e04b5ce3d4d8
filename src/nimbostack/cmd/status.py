"""`nimbostack status`: which services of the local cloud answer, and how fast."""

from __future__ import annotations

import json
import time

import httpx

from nimbostack.cmd.services import in_up
from nimbostack.core.service import Runtime


def report(runtime: Runtime) -> int:
    """Print one line per service; exit 1 when any registered service is down."""
    status_file = runtime.data_dir / "status.json"
    pid = json.loads(status_file.read_text()).get("pid") if status_file.exists() else None
    print(f"data dir: {runtime.data_dir}  process: {pid or 'not running'}")
    healthy = True
    for spec in in_up():
        url = runtime.url(spec.name, "/")
        started = time.perf_counter()
        try:
            code = httpx.get(url, timeout=2.0).status_code
            state = "up" if code < 500 else f"error {code}"
        except httpx.HTTPError:
            state = "down"
        healthy = healthy and state == "up"
        elapsed = (time.perf_counter() - started) * 1000
        print(f"  {spec.name:<10} {state:<8} {url}  {elapsed:.0f} ms")
    return 0 if healthy else 1
