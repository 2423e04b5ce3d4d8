"""A 200 MiB image uploaded through the browser, with its progress bar, while the
dashboard (alone in its process) grows by no more than 32 MiB."""

from __future__ import annotations

import re
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Playwright, expect

from tests.e2e import dashboard_support as ds
from tests.support.cloud import VENV_BIN, RunningCloud
from tests.support.ports import check_taken, free_port, start_retrying

pytestmark = pytest.mark.e2e
SIZE = 200 * 1024 * 1024
GROWTH_LIMIT = 32 * 1024 * 1024


def rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"no VmRSS for {pid}")


class Peak:
    """Samples a process's RSS every 20 ms until stopped; keeps the highest."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak, self._stop = pid, rss(pid), threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, rss(self.pid))

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak


@pytest.fixture(scope="module")
def dashboard(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RunningCloud, str, int]]:
    """A cloud, and a dashboard of its own (`nimbostack serve dashboard`) in front of it."""
    data_dir: Path = tmp_path_factory.mktemp("dash-upload")
    cloud = RunningCloud.start(data_dir)
    log_path = data_dir / "dashboard.log"
    chosen = [free_port()]

    def start() -> tuple[subprocess.Popen[bytes], str]:
        env = {**cloud.env, "NIMBOSTACK_DASHBOARD__PORT": str(chosen[0])}
        with log_path.open("wb") as log:
            proc = subprocess.Popen([str(VENV_BIN / "nimbostack"), "serve", "dashboard"],
                                    env=env, stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
        base = f"http://127.0.0.1:{chosen[0]}"
        try:
            ds.wait_until(lambda: _answers(base) or proc.poll() is not None, 30, "the dashboard")
            if proc.poll() is not None:
                check_taken(log_path.read_text(errors="replace"))
                raise AssertionError(f"the dashboard exited: {log_path.read_text()[-2000:]}")
        except BaseException:
            proc.kill()
            proc.wait()
            raise
        return proc, base

    def new_port() -> None:
        chosen[0] = free_port()

    try:
        proc, base = start_retrying(start, new_port)
    except BaseException:
        cloud.stop()
        raise
    try:
        yield cloud, base, proc.pid
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        cloud.stop()


def _answers(base: str) -> bool:
    try:
        return httpx.get(f"{base}/auth/login", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def test_upload_streams_with_progress_in_bounded_memory(
    dashboard: tuple[RunningCloud, str, int], pw: Playwright, tmp_path: Path
) -> None:
    cloud, base, pid = dashboard
    data = tmp_path / "big.raw"
    with data.open("wb") as handle:
        handle.truncate(SIZE)  # zeros: a valid raw disk
    with ds.browser(pw) as context:
        page = context.new_page()
        ds.login(page, base, "demo", cloud.password("demo"))
        page.goto(f"{base}/project/images/new")
        page.fill("#image-name", "big-upload")
        page.select_option("#disk_format", "raw")
        page.set_input_files("#image-file", str(data))
        shown: list[int] = []
        page.expose_function("nimboProgress", lambda value: shown.append(int(value)))
        page.evaluate(
            "const bar = document.querySelector('#upload-progress');"
            "new MutationObserver(() => window.nimboProgress(bar.value))"
            ".observe(bar, {attributes: true});"
        )
        before = rss(pid)
        sampler = Peak(pid)
        page.click("#image-submit")
        page.wait_for_url(re.compile(r"/project/images/[0-9a-f-]{36}$"), timeout=180_000)
        peak = sampler.stop()
        expect(page.locator("#image-status")).to_have_text("ACTIVE")
        expect(page.locator("#image-size")).to_have_text("200.0 MiB")
    assert any(0 < value < 100 for value in shown) and max(shown) == 100, shown
    assert peak - before <= GROWTH_LIMIT, f"grew by {(peak - before) / 2**20:.1f} MiB"


@pytest.fixture(scope="module")
def pw() -> Iterator[Playwright]:
    with ds.playwright() as running:
        yield running
