"""Usage paging (2.40) read by novaclient's own pager, as Horizon's overview does.

The pager asks for the next page with the last server as marker until a page has no
server: a page past the last server must be empty, or the client never stops.
"""

from __future__ import annotations

import argparse
import datetime
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3
from novaclient import client as nova_client
from novaclient.v2 import shell as nova_shell

from tests.e2e.guest_support import IMAGE, wait_guest_image
from tests.support.cloud import Account, RunningCloud

pytestmark = pytest.mark.e2e
SERVERS = 5
MAX_REQUESTS = 20  # far more than any correct paging needs here


def _nova(cloud: RunningCloud, account: Account) -> Any:
    auth = v3.Password(
        auth_url=cloud.auth_url,
        username=account.user,
        password=account.password,
        project_name=account.project,
        user_domain_id="default",
        project_domain_id="default",
    )
    return nova_client.Client("2.40", session=ks_session.Session(auth=auth))


def _counted(manager: Any, name: str) -> list[str]:
    """Count the requests a usage method makes; fail instead of paging forever."""
    calls: list[str] = []
    original: Callable[..., Any] = getattr(manager, name)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        calls.append(str(kwargs.get("marker")))
        assert len(calls) <= MAX_REQUESTS, f"usage paging never ends: markers {calls}"
        return original(*args, **kwargs)

    setattr(manager, name, wrapper)
    return calls


def _boot(cloud: RunningCloud, account: Account, count: int) -> list[str]:
    token = cloud.project_token(account.user, account.password, account.project)
    headers = {"X-Auth-Token": token, "OpenStack-API-Version": "compute 2.96"}
    base = f"{cloud.url('compute')}/v2.1/servers"
    ids = []
    image = _image(cloud)
    for index in range(count):
        body = {"name": f"usage-{index}", "imageRef": image, "flavorRef": "42",
                "networks": "none"}  # fmt: skip
        made = httpx.post(base, headers=headers, json={"server": body}, timeout=30)
        assert made.status_code == 202, made.text
        ids.append(made.json()["server"]["id"])
    deadline = time.monotonic() + 60
    pending = set(ids)
    while pending and time.monotonic() < deadline:
        for uuid in list(pending):
            shown = httpx.get(f"{base}/{uuid}", headers=headers, timeout=30).json()["server"]
            assert shown["status"] != "ERROR", shown
            if shown["status"] == "ACTIVE":
                pending.discard(uuid)
        time.sleep(0.2)
    assert not pending, f"servers never became ACTIVE: {pending}"
    return ids


def _image(cloud: RunningCloud) -> str:
    wait_guest_image(cloud)
    headers = {"X-Auth-Token": cloud.admin_token()}
    found = httpx.get(
        f"{cloud.url('image')}/v2/images", headers=headers, params={"name": IMAGE}, timeout=30
    )
    return str(found.json()["images"][0]["id"])


@pytest.fixture(scope="module")
def tenant(cloud: RunningCloud) -> tuple[Account, list[str]]:
    account = cloud.make_project_user("usage")
    return account, _boot(cloud, account, SERVERS)


def _args(tenant: str | None = None) -> argparse.Namespace:
    """The shell's arguments: its default period (the last four weeks) up to tomorrow."""
    tomorrow = datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=1)
    return argparse.Namespace(start=None, end=tomorrow.strftime("%Y-%m-%d"), tenant=tenant)


def test_the_project_pager_stops_after_the_last_server(
    cloud: RunningCloud, tenant: tuple[Account, list[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    account, ids = tenant
    nova = _nova(cloud, account)
    calls = _counted(nova.usage, "get")
    nova_shell.do_usage(nova, _args(account.project_id))
    # One full page, then the page after its last server: empty, so the pager stops.
    assert calls == ["None", max(ids)]
    table = capsys.readouterr().out
    assert f"| {SERVERS} " in table, table


def test_small_pages_cover_every_server_once(
    cloud: RunningCloud, tenant: tuple[Account, list[str]]
) -> None:
    account, ids = tenant
    nova = _nova(cloud, account)
    # Naive UTC times, as Horizon sends them (an offset's "+" is not escaped in the query).
    end = datetime.datetime.now(datetime.UTC).replace(tzinfo=None) + datetime.timedelta(days=1)
    start = end - datetime.timedelta(days=2)
    seen: list[str] = []
    marker = None
    for _ in range(MAX_REQUESTS):
        page = nova.usage.get(account.project_id, start, end, marker=marker, limit=2)
        marker = nova_shell._get_usage_marker(page)
        if marker is None:
            break
        seen += [u["instance_id"] for u in page.server_usages]
    assert seen == sorted(ids)
    assert not hasattr(page, "server_usages")  # the empty page past the end: {}


def test_the_all_projects_pager_stops_after_the_last_server(
    cloud: RunningCloud, tenant: tuple[Account, list[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    account, _ids = tenant
    nova = _nova(cloud, cloud.admin)
    calls = _counted(nova.usage, "list")
    nova_shell.do_usage_list(nova, _args())
    assert len(calls) == 2 and calls[0] == "None"
    rows = [line for line in capsys.readouterr().out.splitlines() if account.project_id in line]
    assert len(rows) == 1 and f"| {SERVERS} " in rows[0], rows


def test_an_unknown_marker_is_a_bad_request(
    cloud: RunningCloud, tenant: tuple[Account, list[str]]
) -> None:
    account, _ids = tenant
    token = cloud.project_token(account.user, account.password, account.project)
    resp = httpx.get(
        f"{cloud.url('compute')}/v2.1/os-simple-tenant-usage/{account.project_id}",
        headers={"X-Auth-Token": token, "OpenStack-API-Version": "compute 2.40"},
        params={"marker": "00000000-0000-0000-0000-000000000000"},
        timeout=30,
    )
    assert resp.status_code == 400
    assert "Marker 00000000-0000-0000-0000-000000000000 could not be found." in resp.text
