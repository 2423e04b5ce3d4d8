"""The volumes panel in a real browser (fake hypervisor, file backend): create empty or
from an image, attach to an instance and detach, snapshot, delete, refusals as
messages, and another project's volumes never shown."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import BrowserContext, Page, Playwright, expect

from tests.e2e import dashboard_support as ds
from tests.support.cloud import RunningCloud
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def dash(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningCloud]:
    data_dir: Path = tmp_path_factory.mktemp("dashvol")
    cloud = RunningCloud.start(data_dir)
    try:
        ds.public_image(cloud)
        yield cloud
    finally:
        cloud.stop()
    # The panels' API calls run on the dashboard's loop in `up`: none may hold it.
    blocked = cloud.loop_blocks()
    assert not blocked, "the cloud's event loop was blocked:\n" + "\n".join(blocked)


@pytest.fixture(scope="module")
def pw() -> Iterator[Playwright]:
    with ds.playwright() as running:
        yield running


@pytest.fixture
def context(pw: Playwright) -> Iterator[BrowserContext]:
    with ds.browser(pw) as ctx:
        yield ctx


def _unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


def _volume_by_name(dash: RunningCloud, token: str, name: str) -> dict[str, Any]:
    headers = {"OpenStack-API-Version": "volume 3.71"}
    resp = ds.rest(dash, token, "GET", f"{_volume_base(dash, token)}/volumes/detail",
                   params={"name": name}, headers=headers)  # fmt: skip
    found = resp["volumes"]
    return dict(found[0]) if found else {}


def _volume_base(dash: RunningCloud, token: str) -> str:
    """The block storage endpoint of the token's catalog."""
    resp = ds.rest(dash, token, "GET", f"{dash.auth_url}/auth/catalog")
    for service in resp["catalog"]:
        if service["type"] in ("block-storage", "volumev3"):
            for endpoint in service["endpoints"]:
                if endpoint["interface"] == "public":
                    return str(endpoint["url"]).rstrip("/")
    raise AssertionError("no block storage in the catalog")


def _wait_status(dash: RunningCloud, token: str, name: str, status: str) -> dict[str, Any]:
    wait_until(
        lambda: _volume_by_name(dash, token, name).get("status") in (status, "error"),
        60,
        f"{name} to be {status}",
    )
    volume = _volume_by_name(dash, token, name)
    assert volume["status"] == status, volume
    return volume


def _row_status(page: Page, volume_id: str, status: str) -> None:
    """Reload the list until the volume's row shows ``status``."""

    def shown() -> bool:
        page.reload()
        return page.inner_text(f"#volume-{volume_id} .volume-status").strip() == status

    wait_until(shown, 60, f"the row to show {status}")


def _reloaded(page: Page, selector: str) -> str:
    page.reload()
    return page.inner_text(selector)


def _logged_in(context: BrowserContext, dash: RunningCloud, user: str, password: str) -> Page:
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    ds.login(page, dash.url("dashboard"), user, password)
    return page


def test_volume_is_created_attached_detached_snapshotted_and_deleted(
    dash: RunningCloud, context: BrowserContext
) -> None:
    base = dash.url("dashboard")
    token = dash.project_token("demo", dash.password("demo"), "demo")
    server_name = _unique("volvm")
    server = ds.boot(dash, token, server_name, ds.public_image(dash))
    ds.wait_server(dash, token, server, "ACTIVE")
    page = _logged_in(context, dash, "demo", dash.password("demo"))
    name = _unique("data")
    page.goto(f"{base}/project/volumes")
    page.fill("#vol-name", name)
    page.fill("#vol-size", "1")
    page.click("#create-volume-submit")
    expect(page.locator("#flashes")).to_contain_text("The volume is being created.")
    volume = _wait_status(dash, token, name, "available")
    _row_status(page, volume["id"], "available")

    row = page.locator(f"#volume-{volume['id']}")
    row.locator("select[name=server_id]").select_option(server)
    row.locator("form.attach button").click()
    expect(page.locator("#flashes")).to_contain_text("The volume is being attached.")
    _wait_status(dash, token, name, "in-use")
    _row_status(page, volume["id"], "in-use")
    expect(page.locator(f"#volume-{volume['id']} .volume-attachments")).to_contain_text(server_name)
    ds.screenshot(page, "volumes")

    # Deleting a volume in use is the API's refusal, shown as its message.
    page.locator(f"#volume-{volume['id']} button", has_text="Delete").click()
    expect(page.locator(".flash.error")).to_be_visible()
    assert page.url == f"{base}/project/volumes"

    page.locator(f"#volume-{volume['id']} button", has_text="Detach").click()
    expect(page.locator("#flashes")).to_contain_text("The volume is being detached.")
    _wait_status(dash, token, name, "available")
    _row_status(page, volume["id"], "available")
    expect(page.locator(f"#volume-{volume['id']} .volume-attachments")).to_have_text("—")

    page.locator(f"#volume-{volume['id']} button", has_text="Snapshot").click()
    expect(page.locator("#flashes")).to_contain_text("The snapshot is being created.")
    expect(page.locator("#snapshots")).to_contain_text(f"{name}-snap")
    expect(page.locator("#snapshots")).to_contain_text(name)

    wait_until(
        lambda: "available" in _reloaded(page, "#snapshots"),
        60,
        "the snapshot to be available",
    )
    page.locator("#snapshots button", has_text="Delete").first.click()
    expect(page.locator("#flashes")).to_contain_text("The snapshot is being deleted.")
    wait_until(
        lambda: f"{name}-snap" not in _reloaded(page, "#snapshots"),
        60,
        "the snapshot to go",
    )
    page.locator(f"#volume-{volume['id']} button", has_text="Delete").click()
    expect(page.locator("#flashes")).to_contain_text("The volume is being deleted.")
    wait_until(lambda: not _volume_by_name(dash, token, name), 60, "the volume to go")


def test_volume_from_an_image_and_refused_sizes(
    dash: RunningCloud, context: BrowserContext
) -> None:
    base = dash.url("dashboard")
    token = dash.project_token("demo", dash.password("demo"), "demo")
    page = _logged_in(context, dash, "demo", dash.password("demo"))
    page.goto(f"{base}/project/volumes")
    page.fill("#vol-size", "0")
    page.evaluate("document.querySelector('#vol-size').removeAttribute('min')")
    page.click("#create-volume-submit")
    expect(page.locator(".flash.error")).to_contain_text("Give a size from 1")
    name = _unique("fromimg")
    page.fill("#vol-name", name)
    page.fill("#vol-size", "1")
    page.select_option("#vol-source", "image")
    page.select_option("#vol-image", ds.public_image(dash))
    page.click("#create-volume-submit")
    expect(page.locator("#flashes")).to_contain_text("The volume is being created.")
    volume = _wait_status(dash, token, name, "available")
    assert volume["bootable"] == "true"
    assert volume["volume_image_metadata"]["image_id"] == ds.public_image(dash)


def test_another_projects_volumes_never_appear(dash: RunningCloud, context: BrowserContext) -> None:
    base = dash.url("dashboard")
    token = dash.project_token("demo", dash.password("demo"), "demo")
    secret = _unique("demo-vol")
    headers = {"OpenStack-API-Version": "volume 3.71"}
    body = {"volume": {"name": secret, "size": 1}}
    ds.rest(dash, token, "POST", f"{_volume_base(dash, token)}/volumes", json=body,
            headers=headers)  # fmt: skip
    _wait_status(dash, token, secret, "available")
    other = dash.make_project_user("volother")
    page = _logged_in(context, dash, other.user, other.password)
    resp = page.goto(f"{base}/project/volumes")
    assert resp is not None and resp.status == 200
    assert secret not in page.content()
    expect(page.locator("#volumes")).to_contain_text("No volumes.")


def test_one_volume_attached_to_two_instances_at_once_goes_to_one(
    dash: RunningCloud, context: BrowserContext
) -> None:
    """Two tabs attach the same volume at the same moment: one wins, the other gets the
    API's refusal as a message (never an error page), and the volume has one attachment."""
    base = dash.url("dashboard")
    token = dash.project_token("demo", dash.password("demo"), "demo")
    servers = [ds.boot(dash, token, _unique("race"), ds.public_image(dash)) for _ in range(2)]
    for server in servers:
        ds.wait_server(dash, token, server, "ACTIVE")
    name = _unique("shared")
    headers = {"OpenStack-API-Version": "volume 3.71"}
    body = {"volume": {"name": name, "size": 1}}
    ds.rest(dash, token, "POST", f"{_volume_base(dash, token)}/volumes", json=body,
            headers=headers)  # fmt: skip
    volume = _wait_status(dash, token, name, "available")
    page = _logged_in(context, dash, "demo", dash.password("demo"))
    page.goto(f"{base}/project/volumes")
    csrf = page.get_attribute("meta[name=csrf-token]", "content") or ""
    cookies = {c["name"]: c["value"] for c in context.cookies()}
    url = f"{base}/project/volumes/{volume['id']}/attach"
    barrier = threading.Barrier(2)

    def attach(server: str) -> httpx.Response:
        with httpx.Client(cookies=cookies, timeout=60) as client:
            barrier.wait()
            return client.post(url, data={"csrf_token": csrf, "server_id": server},
                               headers={"X-Nimbo-In-Place": "1"})  # fmt: skip

    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(attach, servers))
    assert sorted(a.status_code for a in answers) == [200, 409], [a.text for a in answers]
    refused = next(a for a in answers if a.status_code == 409).json()
    assert refused["kind"] == "error" and refused["message"]
    attached = _wait_status(dash, token, name, "in-use")
    assert len(attached["attachments"]) == 1
    winner = servers[[a.status_code for a in answers].index(200)]
    assert attached["attachments"][0]["server_id"] == winner
