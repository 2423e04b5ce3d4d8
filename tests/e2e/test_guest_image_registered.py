"""After `nimbostack up`, the nimbo-guest image is active and publicly visible."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.support.cloud import RunningCloud

pytestmark = pytest.mark.e2e


def _images(cloud: RunningCloud, token: str, name: str) -> list[dict[str, object]]:
    resp = httpx.get(
        f"{cloud.url('image')}/v2/images",
        params={"name": name},
        headers={"X-Auth-Token": token},
        timeout=30,
    )
    assert resp.status_code == 200, resp.text
    return list(resp.json()["images"])


def test_guest_image_is_active_and_public(cloud: RunningCloud) -> None:
    demo = cloud.token("demo", cloud.password("demo"), "demo")
    deadline = time.monotonic() + 600
    found: list[dict[str, object]] = []
    while time.monotonic() < deadline:
        found = [i for i in _images(cloud, demo, "nimbo-guest") if i["status"] == "active"]
        if found:
            break
        time.sleep(2)
    assert found, f"guest image never became active:\n{cloud.log_tail()}"
    image = found[0]
    assert image["visibility"] == "public"
    assert image["disk_format"] == "qcow2"
    for ref in ("kernel_id", "ramdisk_id"):
        part = httpx.get(
            f"{cloud.url('image')}/v2/images/{image[ref]}", headers={"X-Auth-Token": demo}
        )
        assert part.status_code == 200 and part.json()["status"] == "active"
