"""Real guests moving between compute hosts: live migration and an agent killed under them.

`nimbostack up` runs host ``hosta`` on RabbitMQ; ``hostb`` (sharing hosta's disks
directory: shared storage) and ``hostc`` (disks of its own: block migration) are
`nimbostack serve compute-agent` processes. The server lm1 goes hosta → hostb → hostc
with its guest running all along, then survives a `kill -9` of hostc's agent.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.e2e import guest_support as gs
from tests.e2e.agent_process import AgentProcess
from tests.e2e.guest_support import PROOF_USER_DATA, uptime, wait_status
from tests.support.cloud import RunningCloud
from tests.support.rabbitmq import RabbitBroker

pytestmark = [pytest.mark.e2e, pytest.mark.cli, pytest.mark.rabbit]
LIVE = ("--os-compute-api-version", "2.30", "server", "migrate", "--live-migration")


@dataclass
class Hosts:
    cloud: RunningCloud
    shared: Path
    agents: dict[str, AgentProcess]


@pytest.fixture(scope="module")
def hosts(rabbit_server: RabbitBroker) -> Iterator[Hosts]:
    gs.require_qemu()
    data_dir = Path(tempfile.mkdtemp(prefix="nimbo-rh-"))
    shared = data_dir / "shared"
    env = {
        "NIMBOSTACK_DEFAULT__TRANSPORT_URL": rabbit_server.url,
        "NIMBOSTACK_COMPUTE_AGENT__HOST": "hosta",
        "NIMBOSTACK_QEMU__DISKS_PATH": str(shared),
    }
    with gs.qemu_cloud(env, data_dir) as cloud:
        agents = {"hostb": AgentProcess(cloud, "hostb", shared)}
        agents["hostc"] = AgentProcess(cloud, "hostc", None)
        try:
            for agent in agents.values():
                agent.start()
            for agent in agents.values():
                agent.wait_registered()
            yield Hosts(cloud, shared, agents)
        finally:
            gs.delete_all_servers(cloud)
            for agent in agents.values():
                agent.stop()


@pytest.fixture(scope="module")
def lm1(hosts: Hosts) -> str:
    server = hosts.cloud.cli(
        "--os-compute-api-version", "2.74", "server", "create", "--host", "hosta",
        "--image", gs.IMAGE, "--flavor", "m1.nano", "--nic", "none",
        "--user-data", str(_user_data(hosts.cloud)), "--wait", "lm1",
    )  # fmt: skip
    assert server["status"] == "ACTIVE" and gs.host_of(server) == "hosta", server
    gs.wait_boots(hosts.cloud, "lm1", 1)
    return str(server["id"])


def _user_data(cloud: RunningCloud) -> Path:
    path = cloud.data_dir / "user-data-lm1"
    path.write_text(PROOF_USER_DATA)
    return path


def _migrate_live(hosts: Hosts, uuid: str, dest: str, *extra: str) -> None:
    cloud = hosts.cloud
    before = gs.wait_ticks(cloud, "lm1", 1)
    boot_id = before.last_tick()["boot_id"]
    cloud.cli_raw(*LIVE, *extra, "--host", dest, "--wait", "lm1")
    server = wait_status(cloud, "lm1", "ACTIVE")
    assert gs.host_of(server) == dest
    (pid,) = gs.qemu_pids(uuid)  # one QEMU: the source's is gone
    assert str(hosts.agents[dest].instances) in Path(f"/proc/{pid}/cmdline").read_text()
    # The destination's console log starts at the migration: ticks, and no boot.
    after = gs.wait_ticks(cloud, "lm1", 2)
    assert after.boots == []
    assert {tick["boot_id"] for tick in after.ticks} == {boot_id}
    assert uptime(after.ticks[0]) > uptime(before.last_tick())


def test_live_migration_on_shared_storage(hosts: Hosts, lm1: str) -> None:
    root_disk = hosts.shared / lm1 / "disks" / "disk"
    assert root_disk.exists()
    _migrate_live(hosts, lm1, "hostb")
    assert root_disk.exists()  # the same disk file, now opened by hostb's QEMU


def test_block_migration(hosts: Hosts, lm1: str) -> None:
    _migrate_live(hosts, lm1, "hostc", "--block-migration")
    assert (hosts.agents["hostc"].instances / lm1 / "disks" / "disk").exists()
    assert not (hosts.shared / lm1).exists()  # hostb's copy was removed


def test_agent_killed_and_restarted_adopts_its_guest(hosts: Hosts, lm1: str) -> None:
    cloud, agent = hosts.cloud, hosts.agents["hostc"]
    (pid,) = gs.qemu_pids(lm1)
    before = gs.wait_ticks(cloud, "lm1", 1)
    agent.kill9()
    os.kill(pid, 0)  # the guest's QEMU outlives its agent
    agent.start()
    agent.wait_log(f"guest {lm1}: adopted (pid {pid})")
    cloud.cli_raw("server", "pause", "lm1")
    assert wait_status(cloud, "lm1", "PAUSED")["OS-EXT-STS:power_state"] == 3
    cloud.cli_raw("server", "unpause", "lm1")
    assert wait_status(cloud, "lm1", "ACTIVE")["OS-EXT-STS:power_state"] == 1
    after = gs.wait_ticks(cloud, "lm1", len(before.ticks) + 1)
    assert after.boots == before.boots  # no reboot through all of it
    assert after.last_tick()["boot_id"] == before.last_tick()["boot_id"]
    assert gs.qemu_pids(lm1) == [pid]
