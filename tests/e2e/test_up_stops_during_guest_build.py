"""Stopping `nimbostack up` while the guest image is still building stops it at once.

The first start downloads the guest's packages for minutes. A stub ``apt-cache`` that
never answers stands for a slow download here: `up` must still stop within seconds
when asked, and leave no build process behind.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.cloud import RunningCloud
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e


@pytest.fixture
def data_dir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="nimbo-gb-"))
    yield path
    subprocess.run(["pkill", "-f", _marker(path)], check=False)
    shutil.rmtree(path, ignore_errors=True)


def _marker(data_dir: Path) -> str:
    """The name the stub's sleep runs under, to find it among processes."""
    return f"nimbo-apt-stub-{data_dir.name}"


def _stubs(data_dir: Path) -> Path:
    bin_dir = data_dir / "bin"
    bin_dir.mkdir()
    for tool in ("apt-cache", "apt-get"):
        path = bin_dir / tool
        path.write_text(f"#!/bin/bash\nexec -a {_marker(data_dir)} sleep 600\n")
        path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return bin_dir


def _running(*needles: str) -> list[int]:
    """Pids of processes whose command line holds every one of ``needles``."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if all(any(n.encode() in arg for arg in cmdline) for n in needles):
            found.append(int(proc.name))
    return found


def _builders(cache: Path) -> list[int]:
    """Pids of guest image builds writing into ``cache``."""
    return _running("nimbostack.guest_image.builder", str(cache))


def test_up_stops_within_seconds_while_the_guest_image_builds(data_dir: Path) -> None:
    cache = data_dir / "guest-cache"
    env = {
        "PATH": f"{_stubs(data_dir)}{os.pathsep}{os.environ['PATH']}",
        "NIMBOSTACK_GUEST_CACHE": str(cache),
        "NIMBOSTACK_IMAGE__GUEST_IMAGE": "true",
    }
    cloud = RunningCloud.start(data_dir, env)
    try:
        wait_until(lambda: _running(_marker(data_dir)), timeout=30, what="the build's apt stub")
        assert cloud.proc is not None
        began = time.monotonic()
        cloud.proc.terminate()
        cloud.proc.wait(timeout=30)
        took = time.monotonic() - began
    finally:
        cloud.stop()
    assert took < 15, f"up took {took:.1f} s to stop during the build"
    assert _builders(cache) == [], "the guest image build outlived the cloud"
    assert _running(_marker(data_dir)) == [], "the build's apt-cache outlived the cloud"
