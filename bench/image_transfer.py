"""Benchmark: image upload and download throughput over loopback, against a raw `cp`.

Starts a cloud with `nimbostack up` in a temporary data dir, makes a 1 GiB file of
random bytes, then measures on the same disk in the same run:

- ``cp`` of the file (plus ``sync`` of the copy, since the store fsyncs),
- ``PUT /v2/images/{id}/file`` (streamed from the file, 1 MiB chunks),
- ``GET /v2/images/{id}/file`` (streamed to a file),

and the image server process's peak RSS growth (VmHWM in /proc/<pid>/status) across
the transfers. Prints a markdown table. Usage: python bench/image_transfer.py [MiB]
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.cloud import RunningCloud  # noqa: E402

CHUNK = 1024 * 1024


def _kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise KeyError(field)


def _make_file(path: Path, mib: int) -> None:
    with path.open("wb") as handle:
        for _ in range(mib):
            handle.write(os.urandom(CHUNK))


def _read(path: Path) -> Iterator[bytes]:
    with path.open("rb") as handle:
        while block := handle.read(CHUNK):
            yield block


def _timed_cp(src: Path, dst: Path) -> float:
    started = time.perf_counter()
    subprocess.run(["cp", str(src), str(dst)], check=True)
    subprocess.run(["sync", str(dst)], check=True)
    return time.perf_counter() - started


def _upload(client: httpx.Client, src: Path) -> tuple[str, float]:
    resp = client.post(
        "/v2/images", json={"name": "bench", "disk_format": "raw", "container_format": "bare"}
    )
    resp.raise_for_status()
    image_id = resp.json()["id"]
    headers = {
        "Content-Type": "application/octet-stream",
        "Content-Length": str(src.stat().st_size),
    }
    started = time.perf_counter()
    put = client.put(f"/v2/images/{image_id}/file", content=_read(src), headers=headers)
    elapsed = time.perf_counter() - started
    assert put.status_code == 204, put.text
    return image_id, elapsed


def _download(client: httpx.Client, image_id: str, dst: Path) -> tuple[float, str]:
    """Time the transfer to disk; hash the file afterwards so hashing is not timed."""
    started = time.perf_counter()
    with client.stream("GET", f"/v2/images/{image_id}/file") as resp, dst.open("wb") as out:
        resp.raise_for_status()
        for block in resp.iter_raw():
            out.write(block)
    elapsed = time.perf_counter() - started
    digest = hashlib.sha512()
    for block in _read(dst):
        digest.update(block)
    return elapsed, digest.hexdigest()


def main() -> None:
    mib = int(sys.argv[1]) if len(sys.argv) > 1 else 1024
    with tempfile.TemporaryDirectory(prefix="nimbo-bench-", dir=ROOT) as tmp:
        work = Path(tmp)
        (work / "cloud").mkdir()
        cloud = RunningCloud.start(work / "cloud")
        try:
            url, pid = cloud.url("image"), cloud.proc.pid  # type: ignore[union-attr]
            _run(cloud, url, pid, work, mib)
        finally:
            cloud.stop()


def _run(cloud: RunningCloud, url: str, pid: int, work: Path, mib: int) -> None:
    src = work / "source.raw"
    _make_file(src, mib)
    size_mb = src.stat().st_size / 1e6
    cp_seconds = _timed_cp(src, work / "copy.raw")
    (work / "copy.raw").unlink()
    headers = {"X-Auth-Token": cloud.admin_token()}
    with httpx.Client(base_url=url, headers=headers, timeout=600) as client:
        client.get("/v2/images").raise_for_status()
        hwm_before = _kib(pid, "VmHWM")
        image_id, up_seconds = _upload(client, src)
        down_seconds, sha = _download(client, image_id, work / "downloaded.raw")
        hwm_after = _kib(pid, "VmHWM")
        stored = client.get(f"/v2/images/{image_id}").json()["os_hash_value"]
    assert sha == stored, "downloaded bytes differ from the stored hash"
    print(f"| {mib} MiB image, loopback | seconds | MB/s |")
    print("|---|---:|---:|")
    for label, seconds in (
        ("cp + sync", cp_seconds),
        ("upload (PUT file)", up_seconds),
        ("download (GET file)", down_seconds),
    ):
        print(f"| {label} | {seconds:.2f} | {size_mb / seconds:.0f} |")
    print(
        f"\nImage server peak RSS: {hwm_before / 1024:.0f} MiB before, "
        f"{hwm_after / 1024:.0f} MiB after (growth {(hwm_after - hwm_before) / 1024:.1f} MiB)"
    )


if __name__ == "__main__":
    main()
