"""An admin makes a project and a user in the browser; that user then sees only it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Playwright, expect

from nimbostack.dashboard import panels
from tests.e2e import dashboard_support as ds
from tests.support.cloud import RunningCloud

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def dash(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningCloud]:
    data_dir: Path = tmp_path_factory.mktemp("dash-admin")
    cloud = RunningCloud.start(data_dir)
    try:
        yield cloud
    finally:
        cloud.stop()


@pytest.fixture(scope="module")
def pw() -> Iterator[Playwright]:
    with ds.playwright() as running:
        yield running


def test_admin_creates_a_project_and_user_who_sees_only_it(
    dash: RunningCloud, pw: Playwright
) -> None:
    base = dash.url("dashboard")
    name = f"acme-{uuid.uuid4().hex[:6]}"
    password = uuid.uuid4().hex
    with ds.browser(pw) as admin_ctx:
        page = admin_ctx.new_page()
        ds.login(page, base, "admin", dash.password("admin"))
        expect(page.locator("nav.side")).to_contain_text("Hypervisors")
        page.goto(f"{base}/identity/projects")
        page.fill("#pr-name", name)
        page.click("#create-project button")
        row = page.locator(f"#projects tr:has(td:first-child:text-is('{name}'))")
        expect(row).to_have_count(1)
        page.goto(f"{base}/identity/users")
        page.fill("#us-name", name)
        page.fill("#us-password", password)
        page.click("#create-user button")
        expect(page.locator("#users")).to_contain_text(name)
        page.goto(f"{base}/identity/projects")
        row = page.locator(f"#projects tr:has(td:first-child:text-is('{name}'))")
        row.locator("select[name=actor_id]").first.select_option(label=name)
        row.locator("select[name=role_id]").first.select_option(label="member")
        row.locator("form.grant button").first.click()
        expect(page.locator(f"#projects tr:has(td:first-child:text-is('{name}'))")).to_contain_text(
            f"{name} (user): member"
        )
        page.goto(f"{base}/admin/hypervisors")
        expect(page.locator(".card").first).to_be_visible()
        for panel in panels.visible(["compute", "image", "identity", "placement"], True):
            resp = page.goto(f"{base}{panel.path}")
            assert resp is not None and resp.status == 200, panel.path

    image = ds.public_image(dash)
    demo_token = dash.project_token("demo", dash.password("demo"), "demo")
    ds.boot(dash, demo_token, "demo-only", image)
    mine = ds.boot(dash, dash.project_token(name, password, name), "acme-vm", image)
    with ds.browser(pw) as user_ctx:
        page = user_ctx.new_page()
        ds.login(page, base, name, password)
        expect(page.locator("#project-menu summary")).to_contain_text(name)
        expect(page.locator("nav.side")).not_to_contain_text("Hypervisors")
        page.goto(f"{base}/project/instances")
        expect(page.locator(f"#server-{mine}")).to_contain_text("acme-vm")
        expect(page.locator("#servers")).not_to_contain_text("demo-only")
        resp = page.goto(f"{base}/admin/hypervisors")
        assert resp is not None and resp.status == 403
