"""Helpers of the dashboard's browser tests: Debian's Chromium driven by Playwright.

The browser is never downloaded: Playwright launches ``/usr/bin/chromium`` with a
fresh profile. Screenshots of the main pages are written to ``docs/screenshots/``
only when ``NIMBOSTACK_SCREENSHOTS=1`` asks for them, so normal runs leave the tree
clean.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import BrowserContext, Page, Playwright, sync_playwright

from tests.support.cloud import RunningCloud
from tests.support.requires import require
from tests.support.waiting import wait_until

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
XSS_NAME = "<img src=x onerror=alert(1)>"
COMPUTE = {"OpenStack-API-Version": "compute 2.96"}


def require_chromium() -> None:
    require(Path(CHROMIUM).exists(), "chromium", "the dashboard is tested in a real browser")


@contextmanager
def playwright() -> Iterator[Playwright]:
    require_chromium()
    with sync_playwright() as pw:
        yield pw


@contextmanager
def browser(pw: Playwright, width: int = 1366, height: int = 900) -> Iterator[BrowserContext]:
    """A fresh Chromium profile (its own user-data-dir), closed and removed after."""
    profile = tempfile.mkdtemp(prefix="nimbo-chromium-")
    context = pw.chromium.launch_persistent_context(
        profile,
        executable_path=CHROMIUM,
        args=FLAGS,
        headless=True,
        viewport={"width": width, "height": height},
        accept_downloads=True,
    )
    context.set_default_timeout(30_000)
    try:
        yield context
    finally:
        context.close()
        shutil.rmtree(profile, ignore_errors=True)


def screenshot(page: Page, name: str, full_page: bool = True) -> None:
    if os.environ.get("NIMBOSTACK_SCREENSHOTS"):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page)


def login(page: Page, base: str, user: str, password: str, domain: str = "Default") -> None:
    page.goto(f"{base}/auth/login")
    page.fill("#domain", domain)
    page.fill("#username", user)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/project/**")


def no_dialogs(page: Page) -> list[str]:
    """Record every alert/confirm the page opens (an XSS would open one)."""
    seen: list[str] = []

    def on_dialog(dialog: Any) -> None:
        seen.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    return seen


def mark_page(page: Page) -> None:
    """Put a marker on the window: it survives in-place updates, not a reload."""
    page.evaluate("window.__nimbo_marker = 42")


def still_marked(page: Page) -> bool:
    return bool(page.evaluate("window.__nimbo_marker === 42"))


# ---------------------------------------------------------------- REST set-up


def rest(cloud: RunningCloud, token: str, method: str, url: str, **kwargs: Any) -> Any:
    headers = {"X-Auth-Token": token, **COMPUTE, **kwargs.pop("headers", {})}
    resp = httpx.request(method, url, headers=headers, timeout=60, **kwargs)
    assert resp.status_code < 300, f"{method} {url}: {resp.status_code} {resp.text}"
    return resp.json() if resp.content else None


def public_image(cloud: RunningCloud, name: str = "tiny") -> str:
    """A small public raw image (the fake driver boots anything)."""
    token = cloud.admin_token()
    glance = cloud.url("image")
    found = rest(cloud, token, "GET", f"{glance}/v2/images", params={"name": name})["images"]
    if found:
        return str(found[0]["id"])
    body = {"name": name, "disk_format": "raw", "container_format": "bare", "visibility": "public"}
    image = rest(cloud, token, "POST", f"{glance}/v2/images", json=body)
    headers = {"Content-Type": "application/octet-stream"}
    rest(
        cloud,
        token,
        "PUT",
        f"{glance}/v2/images/{image['id']}/file",
        content=b"\0" * 65536,
        headers=headers,
    )
    return str(image["id"])


def boot(cloud: RunningCloud, token: str, name: str, image: str, flavor: str = "m1.nano") -> str:
    compute = f"{cloud.url('compute')}/v2.1"
    flavors = rest(cloud, token, "GET", f"{compute}/flavors")["flavors"]
    ref = next(f["id"] for f in flavors if f["name"] == flavor)
    body = {"server": {"name": name, "imageRef": image, "flavorRef": ref, "networks": "none"}}
    return str(rest(cloud, token, "POST", f"{compute}/servers", json=body)["server"]["id"])


def wait_server(
    cloud: RunningCloud, token: str, server: str, status: str, timeout: float = 60
) -> None:
    url = f"{cloud.url('compute')}/v2.1/servers/{server}"
    wait_until(
        lambda: rest(cloud, token, "GET", url)["server"]["status"] == status,
        timeout,
        f"{server} to be {status}",
    )
