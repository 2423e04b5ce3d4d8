"""A 2 GiB image upload streams through the image service with flat memory."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.cloud import RunningCloud

pytestmark = pytest.mark.e2e

SIZE = 2 * 1024**3
CHUNK = 4 * 1024 * 1024


def _rss_mib(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    match = re.search(r"VmRSS:\s+(\d+) kB", status)
    assert match
    return int(match.group(1)) / 1024


class _Sampler(threading.Thread):
    """Samples the cloud process's resident memory while the upload runs."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak = 0.0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            self.peak = max(self.peak, _rss_mib(self.pid))
            time.sleep(0.05)


def _zeros() -> Iterator[bytes]:
    block = bytes(CHUNK)
    for _ in range(SIZE // CHUNK):
        yield block


def test_two_gib_upload_keeps_memory_flat(cloud: RunningCloud) -> None:
    assert cloud.proc is not None
    headers = {"X-Auth-Token": cloud.admin_token()}
    base = f"{cloud.url('image')}/v2/images"
    created = httpx.post(
        base,
        headers=headers,
        json={"name": "two-gib", "disk_format": "raw", "container_format": "bare"},
    )
    assert created.status_code == 201, created.text
    image_id = created.json()["id"]
    before = _rss_mib(cloud.proc.pid)
    sampler = _Sampler(cloud.proc.pid)
    sampler.start()
    try:
        upload = httpx.put(
            f"{base}/{image_id}/file",
            content=_zeros(),
            timeout=600,
            headers={**headers, "Content-Type": "application/octet-stream"},
        )
    finally:
        sampler.done.set()
        sampler.join()
    assert upload.status_code == 204, upload.text
    shown = httpx.get(f"{base}/{image_id}", headers=headers).json()
    assert shown["status"] == "active"
    assert shown["size"] == SIZE
    growth = sampler.peak - before
    assert growth < 64, f"resident memory grew by {growth:.0f} MiB during a 2 GiB upload"
    assert httpx.delete(f"{base}/{image_id}", headers=headers).status_code == 204
