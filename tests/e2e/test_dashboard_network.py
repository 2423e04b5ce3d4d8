"""The network panels in a real browser: networks with subnets, routers and their
interfaces, floating IPs on an instance's port, security group rules, the topology
drawing, networks in the launch wizard, and one project never seeing another's."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page, Playwright, expect

from tests.e2e import dashboard_support as ds
from tests.support.cloud import RunningCloud
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e
PORTS = "8000\u20138080"  # a rule's port range as the page shows it
NEW_FORMS = (
    "/project/networks",
    "/project/routers",
    "/project/floating-ips",
    "/project/security-groups",
    "/project/volumes",
)


@pytest.fixture(scope="module")
def dash(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningCloud]:
    data_dir: Path = tmp_path_factory.mktemp("dashnet")
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


def _demo_token(dash: RunningCloud) -> str:
    return dash.project_token("demo", dash.password("demo"), "demo")


def _neutron(dash: RunningCloud, token: str, method: str, path: str, **kw: Any) -> Any:
    return ds.rest(dash, token, method, f"{dash.url('network')}/v2.0{path}", **kw)


def _private(dash: RunningCloud, token: str) -> str:
    def found() -> list[Any]:
        return list(
            _neutron(dash, token, "GET", "/networks", params={"name": "private"})["networks"]
        )

    wait_until(lambda: bool(found()), 60, "the demo's private network")
    return str(found()[0]["id"])


def _router1(dash: RunningCloud, token: str) -> dict[str, Any]:
    def found() -> list[Any]:
        routers = _neutron(dash, token, "GET", "/routers", params={"name": "router1"})["routers"]
        return [r for r in routers if r.get("external_gateway_info")]

    wait_until(lambda: bool(found()), 120, "the demo's router1")
    return dict(found()[0])


def _boot_on(dash: RunningCloud, token: str, name: str, network: str) -> str:
    compute = f"{dash.url('compute')}/v2.1"
    flavors = ds.rest(dash, token, "GET", f"{compute}/flavors")["flavors"]
    ref = next(f["id"] for f in flavors if f["name"] == "m1.nano")
    body = {"server": {"name": name, "imageRef": ds.public_image(dash), "flavorRef": ref,
                       "networks": [{"uuid": network}]}}  # fmt: skip
    server = str(ds.rest(dash, token, "POST", f"{compute}/servers", json=body)["server"]["id"])
    ds.wait_server(dash, token, server, "ACTIVE")
    return server


def _logged_in(context: BrowserContext, dash: RunningCloud, user: str, password: str) -> Page:
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    ds.login(page, dash.url("dashboard"), user, password)
    return page


def test_network_with_subnet_is_created_shown_and_deleted(
    dash: RunningCloud, context: BrowserContext
) -> None:
    base = dash.url("dashboard")
    page = _logged_in(context, dash, "demo", dash.password("demo"))
    name = _unique("web")
    page.goto(f"{base}/project/networks")
    page.fill("#net-name", name)
    page.fill("#subnet-name", f"{name}-sub")
    page.fill("#cidr", "10.77.0.0/24")
    page.click("#create-network-submit")
    page.wait_for_url(re.compile(r"/project/networks/[0-9a-f-]{36}$"))
    expect(page.locator("#flashes")).to_contain_text("The network was created.")
    expect(page.locator("#network-name")).to_have_text(name)
    expect(page.locator("#subnets")).to_contain_text("10.77.0.0/24")
    expect(page.locator("#subnets")).to_contain_text("10.77.0.1")
    network_id = page.url.rsplit("/", 1)[1]
    ds.screenshot(page, "network-detail")

    # A range the API refuses comes back as the API's message, and nothing is left behind.
    page.goto(f"{base}/project/networks")
    page.fill("#net-name", f"{name}-bad")
    page.fill("#cidr", "10.77.0.0/33")
    page.click("#create-network-submit")
    expect(page.locator(".flash.error")).to_contain_text("range")
    expect(page.locator("#networks")).not_to_contain_text(f"{name}-bad")
    page.fill("#net-name", f"{name}-gw")
    page.fill("#cidr", "10.77.0.0/24")
    page.fill("#gateway", "not-an-address")
    page.click("#create-network-submit")
    expect(page.locator(".flash.error")).to_be_visible()
    expect(page.locator("#networks")).not_to_contain_text(f"{name}-gw")

    page.goto(f"{base}/project/networks")
    row = page.locator(f"#network-{network_id}")
    expect(row).to_contain_text(name)
    row.locator("button", has_text="Delete").click()
    expect(page.locator("#flashes")).to_contain_text("The network was deleted.")
    expect(page.locator("#networks")).not_to_contain_text(name)


def test_router_gets_public_gateway_and_an_interface(
    dash: RunningCloud, context: BrowserContext
) -> None:
    base = dash.url("dashboard")
    token = _demo_token(dash)
    net = _neutron(dash, token, "POST", "/networks", json={"network": {"name": _unique("rn")}})
    body = {"subnet": {"network_id": net["network"]["id"], "cidr": "10.78.0.0/24",
                       "ip_version": 4, "name": "rsub"}}  # fmt: skip
    subnet = _neutron(dash, token, "POST", "/subnets", json=body)["subnet"]
    page = _logged_in(context, dash, "demo", dash.password("demo"))
    name = _unique("edge")
    page.goto(f"{base}/project/routers")
    expect(page.locator("#gateway option:checked")).to_have_text("public")
    page.fill("#router-name", name)
    page.click("#create-router-submit")
    page.wait_for_url(re.compile(r"/project/routers/[0-9a-f-]{36}$"))
    expect(page.locator("#router-gateway")).to_contain_text(re.compile(r"public 172\.24\.4\."))
    page.select_option("#subnet_id", subnet["id"])
    page.click("#add-interface button")
    expect(page.locator("#flashes")).to_contain_text("The interface was added.")
    expect(page.locator("#interfaces")).to_contain_text("10.78.0.1")
    router_id = page.url.rsplit("/", 1)[1]
    ports = _neutron(dash, token, "GET", "/ports", params={"device_id": router_id})["ports"]
    assert any(p["device_owner"] == "network:router_interface" for p in ports)

    # The API refuses to delete a router with an interface: its message, not an error page.
    page.click(".head button.danger")
    expect(page.locator(".flash.error")).to_be_visible()
    expect(page.locator("#router-name")).to_have_text(name)

    page.locator("#interfaces button", has_text="Remove").click()
    expect(page.locator("#flashes")).to_contain_text("The interface was removed.")
    expect(page.locator("#interfaces")).not_to_contain_text("10.78.0.1")
    page.click(".head button.danger")
    expect(page.locator("#flashes")).to_contain_text("The router was deleted.")
    expect(page.locator("#routers")).not_to_contain_text(name)


def test_floating_ip_is_associated_to_an_instance_port(
    dash: RunningCloud, context: BrowserContext
) -> None:
    base = dash.url("dashboard")
    token = _demo_token(dash)
    _router1(dash, token)
    server_name = _unique("fipvm")
    server = _boot_on(dash, token, server_name, _private(dash, token))
    [port] = _neutron(dash, token, "GET", "/ports", params={"device_id": server})["ports"]
    page = _logged_in(context, dash, "demo", dash.password("demo"))
    page.goto(f"{base}/project/floating-ips")
    page.click("#allocate-submit")
    expect(page.locator("#flashes")).to_contain_text(re.compile(r"172\.24\.4\.\d+ was allocated"))
    address = re.search(r"172\.24\.4\.\d+", page.inner_text("#flashes"))
    assert address is not None
    row = page.locator("#floating-ips tr", has_text=address.group(0))
    row.locator("select[name=port_id]").select_option(port["id"])
    row.locator("form.associate button").click()
    expect(page.locator("#flashes")).to_contain_text("The floating IP was associated.")
    row = page.locator("#floating-ips tr", has_text=address.group(0))
    expect(row.locator(".fip-port")).to_contain_text(server_name)
    found = _neutron(dash, token, "GET", "/floatingips",
                     params={"floating_ip_address": address.group(0)})["floatingips"]  # fmt: skip
    assert found[0]["port_id"] == port["id"]

    # The instance page shows its addresses and its port.
    page.goto(f"{base}/project/instances/{server}")
    expect(page.locator("#server-addresses")).to_contain_text(port["fixed_ips"][0]["ip_address"])
    expect(page.locator("#server-ports")).to_contain_text(port["mac_address"])

    page.goto(f"{base}/project/floating-ips")
    row = page.locator("#floating-ips tr", has_text=address.group(0))
    row.locator("button", has_text="Disassociate").click()
    expect(page.locator("#flashes")).to_contain_text("The floating IP was disassociated.")
    row = page.locator("#floating-ips tr", has_text=address.group(0))
    row.locator("button", has_text="Release").click()
    expect(page.locator("#flashes")).to_contain_text("The floating IP was released.")
    expect(page.locator("#floating-ips")).not_to_contain_text(address.group(0))


def test_security_group_rule_is_added_and_removed(
    dash: RunningCloud, context: BrowserContext
) -> None:
    base = dash.url("dashboard")
    page = _logged_in(context, dash, "demo", dash.password("demo"))
    name = _unique("sg")
    page.goto(f"{base}/project/security-groups")
    page.fill("#sg-name", name)
    page.click("#create-sg button")
    page.wait_for_url(re.compile(r"/project/security-groups/[0-9a-f-]{36}$"))
    expect(page.locator("#sg-name")).to_have_text(name)
    page.select_option("#protocol", "tcp")
    page.fill("#port_min", "8000")
    page.fill("#port_max", "8080")
    page.fill("#remote_ip_prefix", "192.0.2.0/24")
    page.click("#add-rule-submit")
    expect(page.locator("#flashes")).to_contain_text("The rule was added.")
    rule = page.locator("#rules tr", has_text="192.0.2.0/24")
    expect(rule).to_contain_text("ingress")
    expect(rule).to_contain_text("tcp")
    expect(rule).to_contain_text(PORTS)
    # A rule from another group of the project.
    page.select_option("#protocol", "icmp")
    page.select_option("#remote_group_id", label="default")
    page.click("#add-rule-submit")
    expect(page.locator("#rules")).to_contain_text("group default")
    # Bad input is refused with a message, before or by the API; never an error page.
    page.select_option("#protocol", "tcp")
    page.fill("#port_min", "90000")
    page.click("#add-rule-submit")
    expect(page.locator(".flash.error")).to_contain_text("65535")
    for _ in range(2):  # the second time, the same rule: the API's 409 as a message
        page.select_option("#protocol", "udp")
        page.fill("#port_min", "53")
        page.fill("#port_max", "")
        page.fill("#remote_ip_prefix", "192.0.2.0/24")
        page.click("#add-rule-submit")
    expect(page.locator(".flash.error")).to_be_visible()
    expect(page.locator("#rules tr", has_text="udp")).to_have_count(1)
    assert re.search(r"/project/security-groups/[0-9a-f-]{36}$", page.url)

    rule = page.locator("#rules tr", has_text=PORTS)
    rule.locator("button", has_text="Delete").click()
    expect(page.locator("#flashes")).to_contain_text("The rule was deleted.")
    expect(page.locator("#rules")).not_to_contain_text(PORTS)


def test_topology_draws_the_projects_networks_routers_and_instances(
    dash: RunningCloud, context: BrowserContext
) -> None:
    base = dash.url("dashboard")
    token = _demo_token(dash)
    router = _router1(dash, token)
    private = _private(dash, token)
    server_name = _unique("topo")
    server = _boot_on(dash, token, server_name, private)
    page = _logged_in(context, dash, "demo", dash.password("demo"))
    page.goto(f"{base}/project/networks")
    page.click("#topology-link")
    page.wait_for_url(f"{base}/project/topology")
    svg = page.locator("svg#topology")
    expect(svg.locator(f"g.lane[data-network='{private}']")).to_contain_text("private")
    expect(svg.locator("g.lane.external")).to_contain_text("public")
    router_node = svg.locator(f"g.router[data-router='{router['id']}']")
    expect(router_node).to_contain_text("router1")
    expect(router_node.locator("circle.tap")).to_have_count(2)  # public and private
    instance = svg.locator(f"g.instance[data-instance='{server}']")
    expect(instance).to_contain_text(server_name)
    expect(instance.locator("circle.tap")).to_have_count(1)
    ds.screenshot(page, "topology")


def test_launch_wizard_defaults_to_private(dash: RunningCloud, context: BrowserContext) -> None:
    base = dash.url("dashboard")
    token = _demo_token(dash)
    private = _private(dash, token)
    other = _neutron(dash, token, "POST", "/networks", json={"network": {"name": _unique("ln")}})
    page = _logged_in(context, dash, "demo", dash.password("demo"))
    page.goto(f"{base}/project/launch")
    expect(page.locator(f"#launch-networks input[value='{private}']")).to_be_checked()
    other_id = other["network"]["id"]
    expect(page.locator(f"#launch-networks input[value='{other_id}']")).not_to_be_checked()
    name = _unique("wiz")
    page.fill("#name", name)
    page.select_option("#image", ds.public_image(dash))
    page.check("input[name=flavor] >> nth=0")
    page.click("#launch-submit")
    page.wait_for_url(re.compile(r"/project/instances/[0-9a-f-]{36}$"))
    server = page.url.rsplit("/", 1)[1]
    expect(page.locator("#server-status")).to_have_text("ACTIVE", timeout=30_000)
    ports = _neutron(dash, token, "GET", "/ports", params={"device_id": server})["ports"]
    assert [p["network_id"] for p in ports] == [private]


def test_another_projects_resources_never_appear(
    dash: RunningCloud, context: BrowserContext
) -> None:
    base = dash.url("dashboard")
    token = _demo_token(dash)
    secret = _unique("demo-only")
    net = _neutron(dash, token, "POST", "/networks", json={"network": {"name": secret}})
    body = {"subnet": {"network_id": net["network"]["id"], "cidr": "10.79.0.0/24",
                       "ip_version": 4, "name": secret}}  # fmt: skip
    _neutron(dash, token, "POST", "/subnets", json=body)
    _neutron(dash, token, "POST", "/routers", json={"router": {"name": secret}})
    _neutron(dash, token, "POST", "/security-groups", json={"security_group": {"name": secret}})
    other = dash.make_project_user("netother")
    page = _logged_in(context, dash, other.user, other.password)
    for path in (*NEW_FORMS, "/project/topology", "/project/launch"):
        resp = page.goto(f"{base}{path}")
        assert resp is not None and resp.status == 200, path
        assert secret not in page.content(), path
        assert net["network"]["id"] not in page.content(), path
    resp = page.goto(f"{base}/project/networks/{net['network']['id']}")
    assert resp is not None and resp.status == 404
    # An admin's project panels show the admin's project, though its token sees every one.
    context.clear_cookies()
    admin = _logged_in(context, dash, "admin", dash.password("admin"))
    for path in (*NEW_FORMS, "/project/topology", "/project/launch"):
        admin.goto(f"{base}{path}")
        assert secret not in admin.content(), path


def test_new_forms_refuse_posts_without_the_sessions_token(
    dash: RunningCloud, context: BrowserContext
) -> None:
    base = dash.url("dashboard")
    page = _logged_in(context, dash, "demo", dash.password("demo"))
    token = _demo_token(dash)
    before = len(_neutron(dash, token, "GET", "/networks")["networks"])
    for path in NEW_FORMS:
        page.goto(f"{base}{path}")
        forms = page.locator("main form[method=post]")
        assert forms.count() > 0, path
        for i in range(forms.count()):
            assert forms.nth(i).locator("input[name=csrf_token]").count() == 1, path
        refused = context.request.post(f"{base}{path}", form={"name": "forged", "size": "1"})
        assert refused.status == 403, path
        wrong = context.request.post(
            f"{base}{path}", form={"name": "forged", "size": "1", "csrf_token": "guess"}
        )
        assert wrong.status == 403, path
    assert len(_neutron(dash, token, "GET", "/networks")["networks"]) == before


def test_network_list_pages_through_every_network_once_and_ends(
    dash: RunningCloud, context: BrowserContext
) -> None:
    base = dash.url("dashboard")
    token = _demo_token(dash)
    for n in range(55):  # more than one page of 50
        _neutron(dash, token, "POST", "/networks", json={"network": {"name": f"pg-{n:02d}"}})
    project = _neutron(dash, token, "GET", "/networks", params={"limit": 1000})["networks"]
    mine = {n["id"] for n in project if not n.get("router:external")}
    page = _logged_in(context, dash, "demo", dash.password("demo"))
    page.goto(f"{base}/project/networks")
    seen: list[str] = []
    for _ in range(10):
        rows = page.locator("#networks tbody tr[id^=network-]")
        seen += [
            str(i).removeprefix("network-") for i in rows.evaluate_all("r => r.map(x => x.id)")
        ]
        following = page.locator("nav.pager a")
        if not following.count():
            break
        following.click()
        page.wait_for_load_state()
    else:
        raise AssertionError("the list never ended")
    assert len(seen) == len(set(seen)) and set(seen) == mine
