"""Real guests on one host through the unmodified CLI: boot, trace, and every action.

One `nimbostack up` on the qemu driver serves the module; the server vm1 goes through
the actions in file order (each test leaves it ACTIVE). The guest is observed only
from outside: its serial console (`openstack console log show`), its QEMU process,
placement's usage. Moves between hosts are in test_real_guests_hosts.py.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import httpx
import pytest
import websockets
from websockets.exceptions import InvalidStatus
from websockets.typing import Subprotocol

from tests.e2e import guest_support as gs
from tests.e2e.guest_support import PROOF_USER_DATA, console, uptime, wait_boots, wait_status
from tests.support.cloud import VENV_BIN, RunningCloud
from tests.support.requires import require
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.cli]
TICK = 2.0  # seconds between the guest's ticks
PAUSE = 8.0


@pytest.fixture(scope="module")
def qcloud() -> Iterator[RunningCloud]:
    # A short power-state sync so a QEMU that dies is noticed within the test.
    with gs.qemu_cloud({"NIMBOSTACK_COMPUTE_AGENT__SYNC_POWER_STATE_INTERVAL": "2"}) as cloud:
        yield cloud


@pytest.fixture(scope="module")
def vm1(qcloud: RunningCloud) -> str:
    server = gs.create(qcloud, "vm1", user_data=PROOF_USER_DATA)
    assert server["status"] == "ACTIVE", server
    return str(server["id"])


def _memkb(cloud: RunningCloud) -> list[int]:
    return [int(v) for v in console(cloud, "vm1").lines("MEMKB:")]


def test_boot_shows_the_hostname_and_the_user_data(qcloud: RunningCloud, vm1: str) -> None:
    seen = wait_boots(qcloud, "vm1", 1)
    assert seen.boots[0]["hostname"] == "vm1"  # from the config drive
    assert seen.lines("PROOF:") == ["hello-vm1"]  # user-data ran before the marker
    assert len(gs.qemu_pids(vm1)) == 1


def _trace(cloud: RunningCloud, server: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(VENV_BIN / "nimbostack"), "--data-dir", str(cloud.data_dir), "trace", server],
        env=cloud.env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_trace_shows_the_seed_request_flow(qcloud: RunningCloud, vm1: str) -> None:
    def complete() -> subprocess.CompletedProcess[str] | None:
        # The trace sink stores spans in batches: wait until the boot's last hop is in.
        done = _trace(qcloud, "vm1")
        return done if done.returncode == 0 and "instance ACTIVE" in done.stdout else None

    done = wait_until(complete, 30, "the boot's trace stored up to ACTIVE", interval=0.5)
    lines = done.stdout.splitlines()
    assert lines[0].startswith(f"trace of vm1 ({vm1}) (request req-")
    hops = [
        "POST /v2.1/servers",  # API
        "conductor.build_instances",
        "scheduler.select_destinations",
        "GET /allocation_candidates",  # placement
        "PUT /allocations/{consumer_uuid}",
        "agent.build_and_run_instance",
        "agent.image_cache",
        "GET /v2/images/{image_id}/file",  # the image service, for the agent's cache
        "driver.spawn",
        "instance ACTIVE",
    ]
    where = [next((i for i, ln in enumerate(lines) if ln.endswith(hop)), -1) for hop in hops]
    assert -1 not in where and where == sorted(where), done.stdout
    assert lines[-1].startswith("total ") and lines[-1].endswith(" ms")


def test_pause_freezes_the_guest_clock(qcloud: RunningCloud, vm1: str) -> None:
    gs.wait_ticks(qcloud, "vm1", 2)
    qcloud.cli_raw("server", "pause", "vm1")
    wait_status(qcloud, "vm1", "PAUSED")
    frozen = console(qcloud, "vm1")
    # Not a wait for anything: PAUSE seconds are what the frozen guest must not see.
    time.sleep(PAUSE)
    assert len(console(qcloud, "vm1").ticks) == len(frozen.ticks)  # no tick while paused
    assert len(gs.qemu_pids(vm1)) == 1  # paused in memory, not gone
    qcloud.cli_raw("server", "unpause", "vm1")
    wait_status(qcloud, "vm1", "ACTIVE")
    after = gs.wait_ticks(qcloud, "vm1", len(frozen.ticks) + 1)
    before, resumed = frozen.ticks[-1], after.ticks[len(frozen.ticks)]
    assert resumed["boot_id"] == before["boot_id"]
    # The guest saw at most one tick interval pass although PAUSE seconds went by.
    assert uptime(resumed) - uptime(before) < TICK + 1.5, (before, resumed)


def test_suspend_and_resume_continue_the_same_boot(qcloud: RunningCloud, vm1: str) -> None:
    before = gs.wait_ticks(qcloud, "vm1", 1)
    qcloud.cli_raw("server", "suspend", "vm1")
    wait_status(qcloud, "vm1", "SUSPENDED")
    assert gs.qemu_pids(vm1) == []  # RAM saved to disk, the process freed
    qcloud.cli_raw("server", "resume", "vm1")
    wait_status(qcloud, "vm1", "ACTIVE")
    after = gs.wait_ticks(qcloud, "vm1", len(before.ticks) + 2)
    assert len(after.boots) == len(before.boots)  # no reboot
    assert after.last_tick()["boot_id"] == before.last_tick()["boot_id"]
    assert uptime(after.last_tick()) > uptime(before.last_tick())


@pytest.mark.parametrize("kind", ["--soft", "--hard"])
def test_reboot_boots_again(qcloud: RunningCloud, vm1: str, kind: str) -> None:
    before = wait_boots(qcloud, "vm1", 1)
    qcloud.cli_raw("server", "reboot", kind, "--wait", "vm1")
    after = wait_boots(qcloud, "vm1", len(before.boots) + 1)
    assert after.boots[-1]["boot_id"] != before.boots[-1]["boot_id"]
    assert after.boots[-1]["hostname"] == "vm1"
    assert after.lines("PROOF:")[-1] == "hello-vm1"  # the same disk
    assert gs.show(qcloud, "vm1")["status"] == "ACTIVE"


def test_stop_and_start(qcloud: RunningCloud, vm1: str) -> None:
    before = wait_boots(qcloud, "vm1", 1)
    qcloud.cli_raw("server", "stop", "vm1")
    assert wait_status(qcloud, "vm1", "SHUTOFF")["OS-EXT-STS:power_state"] == 4
    assert gs.qemu_pids(vm1) == []
    qcloud.cli_raw("server", "start", "vm1")
    wait_status(qcloud, "vm1", "ACTIVE")
    after = wait_boots(qcloud, "vm1", len(before.boots) + 1)
    assert after.boots[-1]["boot_id"] != before.boots[-1]["boot_id"]


def _resize_to_micro(cloud: RunningCloud) -> int:
    """Resize vm1 (m1.nano) to m1.micro; returns the memory the resized guest sees."""
    boots = len(wait_boots(cloud, "vm1", 1).boots)
    assert gs.show(cloud, "vm1")["flavor"]["name"] == "m1.nano"
    cloud.cli_raw("server", "resize", "--flavor", "m1.micro", "--wait", "vm1")
    assert wait_status(cloud, "vm1", "VERIFY_RESIZE")["flavor"]["name"] == "m1.micro"
    resized = wait_boots(cloud, "vm1", boots + 1)
    assert resized.lines("PROOF:")[-1] == "hello-vm1"  # the disk came along
    return _memkb(cloud)[-1]


def test_resize_revert_restores_the_old_flavor(qcloud: RunningCloud, vm1: str) -> None:
    small = _memkb(qcloud)[-1]
    assert _resize_to_micro(qcloud) > small
    boots = len(console(qcloud, "vm1").boots)
    qcloud.cli_raw("server", "resize", "revert", "vm1")
    assert wait_status(qcloud, "vm1", "ACTIVE")["flavor"]["name"] == "m1.nano"
    wait_boots(qcloud, "vm1", boots + 1)
    assert _memkb(qcloud)[-1] == small


def test_resize_confirm_keeps_the_new_flavor(qcloud: RunningCloud, vm1: str) -> None:
    small = _memkb(qcloud)[-1]
    big = _resize_to_micro(qcloud)
    assert big > small
    running = console(qcloud, "vm1").boots[-1]["boot_id"]
    qcloud.cli_raw("server", "resize", "confirm", "vm1")
    assert wait_status(qcloud, "vm1", "ACTIVE")["flavor"]["name"] == "m1.micro"
    after = gs.wait_ticks(qcloud, "vm1", len(console(qcloud, "vm1").ticks) + 1)
    assert after.last_tick()["boot_id"] == running  # confirm kept the guest running
    assert len(gs.qemu_pids(vm1)) == 1


def test_snapshot_boots_a_server_with_the_first_ones_file(qcloud: RunningCloud) -> None:
    qcloud.cli("server", "image", "create", "--wait", "--name", "vm1-snap", "vm1")
    assert qcloud.cli("image", "show", "vm1-snap")["status"] == "active"
    # The same user-data: it writes /data/proof only where there is none yet.
    args = ("--image", "vm1-snap", "--flavor", "m1.micro")
    vm2 = gs.create(qcloud, "vm2", *args, user_data=PROOF_USER_DATA)
    assert vm2["status"] == "ACTIVE", vm2
    seen = wait_boots(qcloud, "vm2", 1)
    assert seen.boots[0]["hostname"] == "vm2"
    assert seen.lines("PROOF:") == ["hello-vm1"]  # written by vm1's first boot


NOVNC_PAGE = Path("/usr/share/novnc/vnc_lite.html")


async def test_vnc_url_serves_novnc_and_its_websocket(qcloud: RunningCloud) -> None:
    novnc = NOVNC_PAGE.exists()  # noqa: ASYNC240 (a stat, once)
    require(novnc, "noVNC", "the console URL serves it")
    url = qcloud.cli("console", "url", "show", "vm1")["url"]
    async with httpx.AsyncClient(timeout=30) as client:
        page = await client.get(url)
    assert page.status_code == 200 and "noVNC" in page.text
    parsed = urlsplit(url)
    token = parse_qs(unquote(parse_qs(parsed.query)["path"][0]).lstrip("?"))["token"][0]
    ws_url = f"ws://{parsed.netloc}/?token={token}"
    async with websockets.connect(ws_url, subprotocols=[Subprotocol("binary")]) as ws:
        assert await ws.recv() == b"RFB 003.008\n"
    with pytest.raises(InvalidStatus) as refused:
        async with websockets.connect(f"ws://{parsed.netloc}/?token={token[:-3]}abc"):
            pass
    assert refused.value.response.status_code == 403


def test_shelve_offload_frees_the_host_and_unshelve_boots(qcloud: RunningCloud, vm1: str) -> None:
    gs.delete_all_servers(qcloud, keep=(vm1,))  # only vm1 uses the host now
    host = gs.host_of(gs.show(qcloud, "vm1"))
    assert gs.usage(qcloud, host)["MEMORY_MB"] == 192  # m1.micro since the resize
    old = {boot["boot_id"] for boot in console(qcloud, "vm1").boots}
    qcloud.cli_raw("server", "shelve", "vm1")
    assert wait_status(qcloud, "vm1", "SHELVED_OFFLOADED")["OS-EXT-SRV-ATTR:host"] is None
    assert gs.qemu_pids(vm1) == []
    assert gs.usage(qcloud, host) == {"VCPU": 0, "MEMORY_MB": 0, "DISK_GB": 0}
    qcloud.cli_raw("server", "unshelve", "vm1")
    wait_status(qcloud, "vm1", "ACTIVE")
    again = gs.wait_console(
        qcloud, "vm1", lambda c: bool(c.boots) and c.boots[-1]["boot_id"] not in old
    )
    assert again.boots[-1]["hostname"] == "vm1"
    assert again.lines("PROOF:")[-1] == "hello-vm1"  # booted from the shelve snapshot
    assert len(gs.qemu_pids(vm1)) == 1


def test_unbootable_image_errors_and_the_agent_stays_healthy(qcloud: RunningCloud) -> None:
    guest = qcloud.cli("image", "show", gs.IMAGE)
    disk = qcloud.data_dir / "guest-disk.qcow2"
    qcloud.cli_raw("image", "save", "--file", str(disk), gs.IMAGE)
    garbage = qcloud.data_dir / "garbage"
    garbage.write_bytes(os.urandom(256 * 1024))
    kernel = qcloud.cli(
        "image", "create", "--disk-format", "aki", "--container-format", "aki",
        "--file", str(garbage), "garbage-kernel",
    )  # fmt: skip
    qcloud.cli(
        "image", "create", "--disk-format", "qcow2", "--container-format", "bare",
        "--file", str(disk), "--property", f"kernel_id={kernel['id']}",
        "--property", f"ramdisk_id={guest['properties']['ramdisk_id']}", "bad-kernel",
    )  # fmt: skip
    failed = qcloud.cli_raw(*_create_args("bad1", "bad-kernel"), check=False)
    assert failed.returncode != 0
    bad = wait_status(qcloud, "bad1", "ERROR")
    assert "QEMU failed to start" in bad["fault"]["message"], bad["fault"]
    assert "kernel" in bad["fault"]["message"]
    fine = qcloud.cli(*_create_args("after-bad", gs.IMAGE))
    assert fine["status"] == "ACTIVE"
    assert wait_boots(qcloud, "after-bad", 1).boots[0]["hostname"] == "after-bad"


def test_a_qemu_that_dies_shows_shutoff(qcloud: RunningCloud) -> None:
    server = gs.create(qcloud, "doomed")
    assert server["status"] == "ACTIVE"
    pids = gs.qemu_pids(str(server["id"]))
    assert len(pids) == 1
    os.kill(pids[0], 9)
    shown = wait_status(qcloud, "doomed", "SHUTOFF", timeout=60)
    assert shown["OS-EXT-STS:power_state"] in (4, "Shutdown", "SHUTDOWN")


def test_a_flavor_bigger_than_the_host_is_never_sent(qcloud: RunningCloud) -> None:
    # More RAM than the host offers (times the 1.5 RAM allocation ratio) but less than
    # the project's RAM quota, raised to fit whatever the host has: only the scheduler
    # can refuse it.
    total_mb = int(Path("/proc/meminfo").read_text().split()[1]) // 1024
    wanted = int(total_mb * 1.5) + 1024
    _raise_ram_quota(qcloud, "admin", 2 * wanted)
    qcloud.cli("flavor", "create", "--ram", str(wanted), "--vcpus", "1",
               "--disk", "1", "m1.enormous")  # fmt: skip
    failed = qcloud.cli_raw(*_create_args("huge", gs.IMAGE, "m1.enormous"), check=False)
    assert failed.returncode != 0 and "Quota" not in failed.stderr, failed.stderr
    server = wait_status(qcloud, "huge", "ERROR")
    assert server["fault"]["message"].startswith("No valid host was found")
    assert server["OS-EXT-SRV-ATTR:host"] is None
    assert gs.qemu_pids(str(server["id"])) == []


def _raise_ram_quota(cloud: RunningCloud, project: str, ram_mb: int) -> None:
    project_id = cloud.cli("project", "show", project)["id"]
    resp = httpx.put(
        f"{cloud.url('compute')}/v2.1/os-quota-sets/{project_id}",
        headers={"X-Auth-Token": cloud.admin_token()},
        json={"quota_set": {"ram": ram_mb}},
        timeout=30,
    )
    assert resp.status_code == 200, resp.text


def _create_args(name: str, image: str, flavor_name: str = "m1.nano") -> list[str]:
    flavor = ["--flavor", flavor_name, "--nic", "none", "--wait"]
    return ["server", "create", "--image", image, *flavor, name]
