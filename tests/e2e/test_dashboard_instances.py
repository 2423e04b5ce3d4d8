"""The dashboard in a real browser: launch from the wizard, live status, the request
flow, in-place actions, escaping of user-written names, and API refusals as pages."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, Playwright, expect

from tests.e2e import dashboard_support as ds
from tests.support.cloud import RunningCloud

pytestmark = pytest.mark.e2e
BOOT_HOPS = ("call SelectDestinations", "GET /allocation_candidates", "cast BuildAndRunInstance",
             "driver.spawn", "instance ACTIVE")  # fmt: skip


@pytest.fixture(scope="module")
def dash(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningCloud]:
    data_dir: Path = tmp_path_factory.mktemp("dash")
    cloud = RunningCloud.start(data_dir)
    try:
        ds.public_image(cloud)
        yield cloud
    finally:
        cloud.stop()


@pytest.fixture(scope="module")
def pw() -> Iterator[Playwright]:
    with ds.playwright() as running:
        yield running


@pytest.fixture
def context(pw: Playwright) -> Iterator[BrowserContext]:
    with ds.browser(pw) as ctx:
        yield ctx


def _status(page: Page) -> str:
    return page.inner_text("#server-status").strip()


def test_launch_from_wizard_goes_active_live_with_its_request_flow(
    dash: RunningCloud, context: BrowserContext
) -> None:
    page = context.new_page()
    dialogs = ds.no_dialogs(page)
    base = dash.url("dashboard")
    ds.login(page, base, "demo", dash.password("demo"))
    page.goto(f"{base}/project/launch")
    page.fill("#name", "web-1")
    page.select_option("#image", ds.public_image(dash))
    page.check("input[name=flavor] >> nth=0")
    ds.screenshot(page, "launch-wizard")
    page.click("#launch-submit")
    page.wait_for_url(re.compile(r"/project/instances/[0-9a-f-]{36}$"))
    ds.mark_page(page)
    expect(page.locator("#server-status")).to_have_text("ACTIVE", timeout=30_000)
    # The flow keeps drawing while the late spans arrive; every hop is there with timings.
    for hop in BOOT_HOPS:
        expect(page.locator("#flow-diagram")).to_contain_text(hop, timeout=15_000)
    steps = page.locator("#flow-diagram g.hop").evaluate_all(
        "nodes => nodes.map(n => Number(n.dataset.step))"
    )
    assert {1, 2, 4, 5, 10} <= set(steps), steps
    assert re.search(r"\+\d+\.\d ms · \d+\.\d ms", page.text_content("#flow-diagram") or "")
    assert ds.still_marked(page), "the page reloaded instead of updating in place"
    ds.screenshot(page, "request-flow")

    for action, shown in (("pause", "PAUSED"), ("unpause", "ACTIVE"),
                          ("shelve", "SHELVED_OFFLOADED"), ("unshelve", "ACTIVE")):  # fmt: skip
        page.click(f"#server-actions button[data-action={action}]")
        expect(page.locator("#server-status")).to_have_text(shown, timeout=30_000)
        assert ds.still_marked(page), f"{action}: the page reloaded"
    expect(page.locator("#flow-diagram")).to_contain_text("unshelve", ignore_case=True)
    assert not dialogs

    page.goto(f"{base}/project/instances")
    expect(page.locator("#servers")).to_contain_text("web-1")
    ds.screenshot(page, "instances")


def test_user_written_names_show_as_text(dash: RunningCloud, context: BrowserContext) -> None:
    token = dash.project_token("demo", dash.password("demo"), "demo")
    server = ds.boot(dash, token, ds.XSS_NAME, ds.public_image(dash))
    page = context.new_page()
    dialogs = ds.no_dialogs(page)
    base = dash.url("dashboard")
    ds.login(page, base, "demo", dash.password("demo"))
    page.goto(f"{base}/project/instances")
    row = page.locator(f"#server-{server}")
    expect(row.locator("td").first).to_have_text(ds.XSS_NAME)
    page.goto(f"{base}/project/instances/{server}")
    expect(page.locator("#server-name")).to_have_text(ds.XSS_NAME)
    expect(page.locator("#server-status")).to_have_text("ACTIVE", timeout=30_000)
    assert page.locator("img").count() == 0
    page.goto(f"{base}/project/overview")
    assert page.locator("main img").count() == 0
    assert not dialogs, dialogs


def test_another_projects_server_is_the_apis_404_as_a_page(
    dash: RunningCloud, context: BrowserContext
) -> None:
    token = dash.project_token("demo", dash.password("demo"), "demo")
    server = ds.boot(dash, token, "private-1", ds.public_image(dash))
    other = dash.make_project_user("other")
    page = context.new_page()
    base = dash.url("dashboard")
    ds.login(page, base, other.user, other.password)
    resp = page.goto(f"{base}/project/instances/{server}")
    assert resp is not None and resp.status == 404
    expect(page.locator("h1")).to_have_text("Not found")
    expect(page.locator("#error-message")).to_contain_text(f"Instance {server} could not be found")
    expect(page.locator("#servers")).to_have_count(0)


def test_forged_posts_are_refused(dash: RunningCloud, context: BrowserContext) -> None:
    page = context.new_page()
    base = dash.url("dashboard")
    ds.login(page, base, "demo", dash.password("demo"))
    url = f"{base}/project/keypairs"
    no_token = context.request.post(url, form={"name": "forged-1"})
    wrong = context.request.post(url, form={"name": "forged-2", "csrf_token": "guess"})
    foreign = context.request.post(
        url,
        form={
            "name": "forged-3",
            "csrf_token": page.get_attribute("meta[name=csrf-token]", "content") or "",
        },
        headers={"Origin": "http://attacker.invalid"},
    )
    assert [r.status for r in (no_token, wrong, foreign)] == [403, 403, 403]
    page.goto(url)
    expect(page.locator("#keypairs")).not_to_contain_text("forged")


def test_expired_session_goes_to_login_saying_the_form_was_lost(
    dash: RunningCloud, context: BrowserContext
) -> None:
    account = dash.make_project_user("expiry")
    page = context.new_page()
    base = dash.url("dashboard")
    ds.login(page, base, account.user, account.password)
    page.goto(f"{base}/project/keypairs")
    page.fill("#kp-name", "never-made")
    # A new password revokes every token of the user: the session's token dies with it.
    new_password = account.password + "-new"
    ds.rest(dash, dash.admin_token(), "PATCH", f"{dash.auth_url}/users/{account.user_id}",
            json={"user": {"password": new_password}})  # fmt: skip
    page.click("#create-keypair button")
    page.wait_for_url(re.compile(r"/auth/login\?"))
    expect(page.locator("#login-notice")).to_contain_text("was not saved")
    ds.login(page, base, account.user, new_password)
    page.goto(f"{base}/project/keypairs")
    expect(page.locator("#keypairs")).not_to_contain_text("never-made")
