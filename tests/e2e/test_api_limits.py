"""The largest counts a create accepts are answered at once, and the cloud keeps serving.

`nimbostack up` serves every API on one event loop, so one request that computes for
long stalls identity, image and placement too. The cloud fixture also fails at
teardown if any callback held its loop too long (tests/support/cloud.py).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.support.cloud import RunningCloud
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e
MAX_INT = 2**31 - 1
COMPUTE = {"OpenStack-API-Version": "compute 2.79"}


class IdentityProbe:
    """Times requests to identity, one after another, until stopped."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.times: list[float] = []
        self.failures: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with httpx.Client(timeout=30) as client:
            while not self._stop.is_set():
                started = time.monotonic()
                try:
                    status = client.get(self.url).status_code
                except httpx.HTTPError as exc:
                    self.failures.append(repr(exc))
                    continue
                self.times.append(time.monotonic() - started)
                if status != 200:
                    self.failures.append(f"status {status}")

    def __enter__(self) -> IdentityProbe:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join(60)


@dataclass
class Project:
    """A fresh project (default quota: 10 instances), its token and a tiny image."""

    compute: str
    headers: dict[str, str]
    image: str

    def server(self, **extra: Any) -> dict[str, Any]:
        return {"server": {"name": "many", "imageRef": self.image, "flavorRef": "42",
                           "networks": "none", **extra}}  # fmt: skip

    def servers(self) -> list[Any]:
        resp = httpx.get(f"{self.compute}/servers", headers=self.headers, timeout=30)
        return list(resp.json()["servers"])


def _image(cloud: RunningCloud, token: str) -> str:
    base, headers = f"{cloud.url('image')}/v2/images", {"X-Auth-Token": token}
    body = {"name": "limits", "disk_format": "raw", "container_format": "bare"}
    made = httpx.post(base, json=body, headers=headers, timeout=30)
    assert made.status_code == 201, made.text
    image = str(made.json()["id"])
    data = {**headers, "Content-Type": "application/octet-stream"}
    put = httpx.put(f"{base}/{image}/file", content=b"\0" * 4096, headers=data, timeout=30)
    assert put.status_code == 204, put.text
    return image


@pytest.fixture
def project(cloud: RunningCloud) -> Iterator[Project]:
    account = cloud.make_project_user("limits")
    token = cloud.project_token(account.user, account.password, account.project)
    found = Project(
        f"{cloud.url('compute')}/v2.1", {"X-Auth-Token": token, **COMPUTE}, _image(cloud, token)
    )
    yield found
    for server in found.servers():
        httpx.delete(f"{found.compute}/servers/{server['id']}", headers=found.headers)


def test_largest_max_count_is_quick_and_identity_keeps_answering(
    cloud: RunningCloud, project: Project
) -> None:
    body = project.server(max_count=MAX_INT)
    with IdentityProbe(cloud.auth_url) as probe:
        wait_until(lambda: len(probe.times) >= 3, 30, "identity answering the probe")
        resp = httpx.post(
            f"{project.compute}/servers", json=body, headers=project.headers, timeout=60
        )
        answered = len(probe.times)
        wait_until(lambda: len(probe.times) >= answered + 3, 30, "identity answering after")
    assert resp.status_code == 202, resp.text
    assert not probe.failures, probe.failures
    assert max(probe.times) < 5.0, probe.times
    assert len(project.servers()) == 10


@pytest.mark.parametrize(
    ("counts", "status"),
    [
        ({"max_count": 2**63}, 400),
        ({"max_count": MAX_INT + 1}, 400),
        ({"min_count": MAX_INT, "max_count": MAX_INT}, 403),
    ],
)
def test_counts_past_the_schema_or_quota_are_refused_at_once(
    project: Project, counts: Any, status: int
) -> None:
    started = time.monotonic()
    resp = httpx.post(
        f"{project.compute}/servers",
        json=project.server(**counts),
        headers=project.headers,
        timeout=60,
    )
    assert resp.status_code == status, resp.text
    assert time.monotonic() - started < 5.0
    assert project.servers() == []
