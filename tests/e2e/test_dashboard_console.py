"""The noVNC console in the dashboard shows a real guest's login prompt (QEMU, TCG).

The canvas is read back as pixels and given to Tesseract (Debian's tesseract-ocr),
so the test sees what a person sees in the browser: the guest's ``login:`` prompt.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
from collections.abc import Iterator

import pytest
from playwright.sync_api import Frame, Page, expect

from tests.e2e import dashboard_support as ds
from tests.e2e import guest_support as gs
from tests.support.cloud import RunningCloud

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def guest_cloud() -> Iterator[RunningCloud]:
    with gs.qemu_cloud() as cloud:
        yield cloud


def ocr(png: bytes) -> str:
    with tempfile.NamedTemporaryFile(suffix=".png") as shot:
        shot.write(png)
        shot.flush()
        found = subprocess.run(["tesseract", shot.name, "-", "--psm", "6"],
                               capture_output=True, text=True, check=True, timeout=60)  # fmt: skip
    return found.stdout


def _novnc(page: Page) -> Frame:
    frame = page.frame_locator("#console-frame")
    expect(frame.locator("canvas")).to_be_visible(timeout=30_000)
    found = next(f for f in page.frames if "vnc_lite.html" in f.url)
    return found


def test_console_shows_the_guests_login_prompt(guest_cloud: RunningCloud) -> None:
    cloud = guest_cloud
    token = cloud.project_token("demo", cloud.password("demo"), "demo")
    images = ds.rest(cloud, token, "GET", f"{cloud.url('image')}/v2/images",
                     params={"name": gs.IMAGE})["images"]  # fmt: skip
    server = ds.boot(cloud, token, "console-vm", images[0]["id"])
    ds.wait_server(cloud, token, server, "ACTIVE", timeout=120)
    with ds.playwright() as pw, ds.browser(pw) as context:
        page = context.new_page()
        base = cloud.url("dashboard")
        ds.login(page, base, "demo", cloud.password("demo"))
        page.goto(f"{base}/project/instances/{server}")
        page.click("#open-console")
        page.wait_for_url(re.compile(r"/console$"))
        frame = _novnc(page)
        canvas = frame.locator("canvas")
        text = ""

        def prompt_shown() -> bool:
            nonlocal text
            text = ocr(canvas.screenshot())
            return bool(re.search(r"login:", text))

        try:
            ds.wait_until(prompt_shown, gs.BOOT_TIMEOUT, "the login prompt on the console")
        except AssertionError:
            raise AssertionError(f"no login prompt on the console; it read:\n{text}") from None
        ds.screenshot(page, "console")
