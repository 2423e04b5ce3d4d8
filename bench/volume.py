"""Benchmark: block storage in `nimbostack up` (file backend, raw sparse volume files).

Measures, against one cloud on this machine:

- create an empty 1 GiB volume: from POST /volumes to GET showing ``available``;
- create a 1 GiB volume from the ``nimbo-guest`` image, the first time (download,
  inspection, conversion, image cache fill) and then from the image cache;
- back up a 10 GiB volume holding 100 MiB of random data (25 extents of 4 MiB), and
  restore that backup into a new volume.

Times end at the moment the service records the volume (or backup) as done, read
from its ``updated_at``; the status is polled every 50 ms. Prints a markdown table.
Usage: python -m bench.volume [repetitions]
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nimbostack.core.timeutil import parse_iso  # noqa: E402
from tests.e2e.guest_support import IMAGE, wait_guest_image  # noqa: E402
from tests.support.cloud import RunningCloud  # noqa: E402

GiB = 1024**3
MiB = 1024**2
POLL = 0.05


class Api:
    def __init__(self, cloud: RunningCloud) -> None:
        self.base = f"{cloud.url('volume')}/v3"
        self.http = httpx.Client(
            headers={"X-Auth-Token": cloud.admin_token(), "OpenStack-API-Version": "volume 3.71"},
            timeout=120,
        )

    def post(self, path: str, body: Any) -> Any:
        resp = self.http.post(f"{self.base}{path}", json=body)
        assert resp.status_code < 300, resp.text
        return resp.json()

    def get(self, path: str) -> Any:
        resp = self.http.get(f"{self.base}{path}")
        assert resp.status_code < 300, resp.text
        return resp.json()

    def wait(self, path: str, key: str, done: Callable[[Any], bool], limit: float = 600) -> Any:
        deadline = time.monotonic() + limit
        while True:
            found = self.get(path)[key]
            if done(found):
                return found
            assert time.monotonic() < deadline, found
            time.sleep(POLL)

    def create(self, **volume: Any) -> tuple[str, float]:
        """A new volume and the seconds from sending the request to it being available.

        The end is the volume's own ``updated_at`` (the moment the service made it
        available), so polling slowly does not load the cloud being measured.
        """
        began = time.time()
        vid = self.post("/volumes", {"volume": volume})["volume"]["id"]
        found = self.wait(
            f"/volumes/{vid}",
            "volume",
            lambda v: v["status"] != "creating" and v["status"] != "downloading",
        )
        assert found["status"] == "available", found
        return vid, parse_iso(found["updated_at"]) - began


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] * 1000


def _spread_data(path: Path) -> None:
    """100 MiB of random bytes in 25 extents spread over a 10 GiB raw volume file."""
    with path.open("r+b") as handle:
        for i in range(25):
            handle.seek(i * (400 * MiB))
            handle.write(os.urandom(4 * MiB))


def main(reps: int) -> None:
    data_dir = Path(tempfile.mkdtemp(prefix="nimbo-bench-volume-"))
    cloud = RunningCloud.start(
        data_dir,
        {"NIMBOSTACK_VOLUME__QUOTA_VOLUMES": "-1", "NIMBOSTACK_VOLUME__QUOTA_GIGABYTES": "-1"},
    )
    rows: list[tuple[str, str]] = []
    try:
        api = Api(cloud)
        # `up` builds and registers the guest image in the background: measure after.
        wait_guest_image(cloud)
        empty = [api.create(size=1)[1] for _ in range(reps)]
        rows.append(("empty 1 GiB, API → available", _fmt(empty)))
        image_id = cloud.cli("image", "show", IMAGE)["id"]
        _vid, first = api.create(size=1, imageRef=image_id)
        rows.append(("from nimbo-guest, first (download + convert)", f"{first * 1000:.0f} ms"))
        cached = [api.create(size=1, imageRef=image_id)[1] for _ in range(reps)]
        rows.append(("from nimbo-guest, cached", _fmt(cached)))
        rows += _backup_rows(api, cloud)
    finally:
        cloud.stop()
    print("| measurement | result |\n|---|---|")
    for name, value in rows:
        print(f"| {name} | {value} |")


def _fmt(values: list[float]) -> str:
    return f"p50 {_p(values, 0.5):.0f} ms, p95 {_p(values, 0.95):.0f} ms (n={len(values)})"


def _backup_rows(api: Api, cloud: RunningCloud) -> list[tuple[str, str]]:
    vid, _ = api.create(size=10)
    volume_file = cloud.data_dir / "volumes" / "file" / f"volume-{vid}"
    _spread_data(volume_file)
    began = time.time()
    backup = api.post("/backups", {"backup": {"volume_id": vid}})["backup"]["id"]
    done = api.wait(f"/backups/{backup}", "backup", lambda b: b["status"] != "creating")
    took = parse_iso(done["updated_at"]) - began
    assert done["status"] == "available", done
    began = time.time()
    restored = api.post(f"/backups/{backup}/restore", {"restore": {}})["restore"]["volume_id"]
    found = api.wait(f"/volumes/{restored}", "volume", lambda v: v["status"] == "available")
    restore_took = parse_iso(found["updated_at"]) - began
    stored = sum(p.stat().st_size for p in (cloud.data_dir / "backups").rglob("chunk-*"))
    return [
        (
            "backup of 10 GiB holding 100 MiB",
            f"{took:.2f} s ({done['object_count']} chunks, {stored / MiB:.0f} MiB stored)",
        ),
        ("restore of that backup into a new volume", f"{restore_took:.2f} s"),
    ]


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 30)
