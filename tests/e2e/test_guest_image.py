"""End-to-end tests of the nimbo-guest image: real TCG boots, judged by the serial console.

Each VM is booted the way the compute driver does it (kernel + initramfs +
virtio qcow2 disk, ``console=ttyS0``, config drive on the IDE CD-ROM) and the
assertions read what the guest printed on its serial port.
"""

from __future__ import annotations

import json
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from nimbostack.compute.configdrive import build_config_drive, openstack_metadata_files
from nimbostack.guest_image.builder import (
    GUEST_ROOT_MOUNT,
    GuestImage,
    build_guest_image,
    default_cache_dir,
    parse_boot_marker,
    parse_tick_marker,
)
from tests.support.requires import require_tools

pytestmark = pytest.mark.e2e

MARKER_TIMEOUT = 60.0
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
TEST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeKeyForNimbostackGuestTests nimbo@test"
_REQUIRED_TOOLS = ("qemu-system-x86_64", "qemu-img", "apt-get", "dpkg-deb", "genisoimage")


@dataclass
class Vm:
    """A running guest whose serial console is logged to a file."""

    process: subprocess.Popen[bytes]
    console_log: Path
    qmp_socket: Path
    serial_socket: Path | None = None
    _serial: socket.socket | None = field(default=None, repr=False)

    def console(self) -> str:
        if not self.console_log.exists():
            return ""
        return self.console_log.read_bytes().decode("utf-8", "replace")

    def wait_for(
        self, pattern: str, timeout: float = MARKER_TIMEOUT, after: int = 0
    ) -> re.Match[str]:
        """First match of pattern in the console output past offset after."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            match = regex.search(self.console(), after)
            if match:
                return match
            if self.process.poll() is not None:
                break
            time.sleep(0.2)
        raise AssertionError(f"{pattern!r} not seen on the console:\n{self.console()[-3000:]}")

    def boot_marker(self) -> dict[str, str]:
        line = self.wait_for(r"NIMBOSTACK-BOOT [^\r\n]*\r?\n").group(0)
        fields = parse_boot_marker(line)
        assert fields is not None, f"unparsable boot marker {line!r}"
        return fields

    def type(self, text: str) -> None:
        """Send keystrokes to the serial console (needs serial_socket)."""
        if self._serial is None:
            assert self.serial_socket is not None, "VM has no interactive serial port"
            self._serial = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self._serial.connect(str(self.serial_socket))
            # QEMU logs the output to console_log; unread socket data would
            # stall the emulated UART, so a console client must keep reading.
            threading.Thread(target=_drain, args=(self._serial,), daemon=True).start()
        self._serial.sendall(text.encode())

    def stop(self) -> None:
        if self._serial is not None:
            self._serial.close()
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=30)


def _drain(sock: socket.socket) -> None:
    try:
        while sock.recv(65536):
            pass
    except OSError:
        pass


@pytest.fixture(scope="session")
def guest_image() -> GuestImage:
    require_tools(*_REQUIRED_TOOLS, why="the guest image boots under QEMU")
    return build_guest_image(default_cache_dir())


@pytest.fixture
def short_tmp() -> Iterator[Path]:
    # Unix socket paths are limited to ~107 bytes: pytest's tmp_path may be longer.
    path = Path(tempfile.mkdtemp(prefix="nimbo-guest-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


LaunchVm = Callable[..., Vm]


@pytest.fixture
def launch(guest_image: GuestImage, short_tmp: Path) -> Iterator[LaunchVm]:
    """Boot VMs from the guest image; every VM is killed at teardown."""
    vms: list[Vm] = []

    def _launch(disk: Path, config_drive: Path | None, *, interactive: bool = False) -> Vm:
        name = f"vm{len(vms)}"
        console_log = short_tmp / f"{name}.console.log"
        qmp_socket = short_tmp / f"{name}.qmp"
        serial_socket = short_tmp / f"{name}.serial" if interactive else None
        command = qemu_command(
            guest_image,
            disk,
            config_drive,
            console_log=console_log,
            qmp_socket=qmp_socket,
            serial_socket=serial_socket,
        )
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL)
        vm = Vm(process, console_log, qmp_socket, serial_socket)
        vms.append(vm)
        return vm

    yield _launch
    for vm in vms:
        vm.stop()


def qemu_command(
    image: GuestImage,
    disk: Path,
    config_drive: Path | None,
    *,
    console_log: Path,
    qmp_socket: Path,
    serial_socket: Path | None,
) -> list[str]:
    """The boot command line the compute driver uses, under TCG."""
    if serial_socket is None:
        serial = ["-serial", f"file:{console_log}"]
    else:
        serial = [
            "-chardev",
            f"socket,id=ser0,path={serial_socket},server=on,wait=off,logfile={console_log}",
            "-serial",
            "chardev:ser0",
        ]
    command = [
        "qemu-system-x86_64",
        "-accel",
        "tcg",
        "-nodefaults",
        "-m",
        "256",
        "-display",
        "none",
        "-kernel",
        str(image.kernel),
        "-initrd",
        str(image.ramdisk),
        "-append",
        "console=ttyS0",
        "-drive",
        f"file={disk},if=virtio,format=qcow2",
        # restrict=on: DHCP works, but the guest cannot reach the host's networks.
        "-nic",
        "user,model=virtio-net-pci,restrict=on",
        "-qmp",
        f"unix:{qmp_socket},server=on,wait=off",
        *serial,
    ]
    if config_drive is not None:
        command += ["-drive", f"file={config_drive},if=ide,media=cdrom,readonly=on,format=raw"]
    return command


def overlay_disk(image: GuestImage, dest: Path) -> Path:
    """A copy-on-write disk on top of the cached machine image (never modify the cache)."""
    subprocess.run(
        [
            "qemu-img",
            "create",
            "-q",
            "-f",
            "qcow2",
            "-F",
            "qcow2",
            "-b",
            str(image.disk),
            str(dest),
        ],
        check=True,
    )
    return dest


def config_drive(dest: Path, hostname: str, user_data: str | None) -> Path:
    files = openstack_metadata_files(
        str(uuid.uuid4()),
        hostname,
        hostname,
        {"testkey": TEST_KEY + "\n"},
        user_data.encode() if user_data is not None else None,
        None,
    )
    return build_config_drive(files, dest)


def qmp(socket_path: Path, command: str) -> dict[str, object]:
    """Run one QMP command and return its reply (events are skipped)."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.connect(str(socket_path))
        stream = sock.makefile("rw")
        stream.readline()  # greeting
        reply: dict[str, object] = {}
        for execute in ("qmp_capabilities", command):
            stream.write(json.dumps({"execute": execute}) + "\n")
            stream.flush()
            reply = json.loads(stream.readline())
            while "event" in reply:
                reply = json.loads(stream.readline())
            assert "return" in reply, reply
        return reply


def wait_ticks(vm: Vm, count: int, after: int) -> list[dict[str, str]]:
    ticks: list[dict[str, str]] = []
    position = after
    while len(ticks) < count:
        match = vm.wait_for(r"NIMBOSTACK-TICK [^\r\n]*\r?\n", timeout=15, after=position)
        fields = parse_tick_marker(match.group(0))
        assert fields is not None, match.group(0)
        ticks.append(fields)
        position = match.end()
    return ticks


def test_boot_applies_config_drive_and_ticks(
    guest_image: GuestImage, launch: LaunchVm, short_tmp: Path
) -> None:
    image_disk = overlay_disk(guest_image, short_tmp / "boot.qcow2")
    user_data = (
        "#!/bin/sh\n"
        "echo USERDATA-RAN > /dev/console\n"
        f"echo hello > {GUEST_ROOT_MOUNT}/data/from-userdata\n"
    )
    drive = config_drive(short_tmp / "cfg.iso", "vm1", user_data)
    started = time.monotonic()
    vm = launch(image_disk, drive)

    marker_match = vm.wait_for(r"NIMBOSTACK-BOOT [^\r\n]*\r?\n")
    boot_seconds = time.monotonic() - started
    marker = vm.boot_marker()
    console = vm.console()

    assert marker["hostname"] == "vm1"
    assert marker["ips"] == "10.0.2.15"  # QEMU user-mode DHCP lease
    assert UUID_RE.match(marker["boot_id"]), marker
    assert 0 < float(marker["uptime"]) < MARKER_TIMEOUT
    assert 0 <= console.find("USERDATA-RAN") < marker_match.start()
    assert "1 ssh key(s) installed for root" in console
    assert "metadata read from config drive" in console
    print(f"boot marker after {boot_seconds:.1f} s wall clock, guest uptime {marker['uptime']} s")

    ticks = wait_ticks(vm, 2, marker_match.end())
    uptimes = [float(marker["uptime"])] + [float(t["uptime"]) for t in ticks]
    assert all(t["boot_id"] == marker["boot_id"] for t in ticks)
    assert uptimes == sorted(uptimes)
    assert 1.5 < uptimes[2] - uptimes[1] < 6, uptimes


def test_disk_survives_reboot(guest_image: GuestImage, launch: LaunchVm, short_tmp: Path) -> None:
    disk = overlay_disk(guest_image, short_tmp / "persist.qcow2")
    token = uuid.uuid4().hex
    first = launch(
        disk,
        config_drive(
            short_tmp / "first.iso",
            "writer",
            f"#!/bin/sh\necho {token} > {GUEST_ROOT_MOUNT}/data/from-userdata\n",
        ),
    )
    first_marker = first.boot_marker()
    # A hard stop right after the marker: the guest must have synced already.
    first.stop()

    second = launch(
        disk,
        config_drive(
            short_tmp / "second.iso",
            "reader",
            f"#!/bin/sh\necho PERSISTED=$(cat {GUEST_ROOT_MOUNT}/data/from-userdata)\n",
        ),
    )
    second_marker = second.boot_marker()

    assert f"PERSISTED={token}" in second.console()
    assert second_marker["hostname"] == "reader"
    assert second_marker["boot_id"] != first_marker["boot_id"]


def test_serial_login_and_acpi_power_button(
    guest_image: GuestImage, launch: LaunchVm, short_tmp: Path
) -> None:
    disk = overlay_disk(guest_image, short_tmp / "login.qcow2")
    vm = launch(disk, config_drive(short_tmp / "login.iso", "console", None), interactive=True)
    marker_end = vm.wait_for(r"NIMBOSTACK-BOOT [^\r\n]*\r?\n").end()
    prompt = vm.wait_for(r"console login: ", after=marker_end)

    vm.type("root\r")
    password = vm.wait_for(r"Password: ", timeout=20, after=prompt.end())
    vm.type("nimbo\r")
    vm.type("echo LOGIN-$((6 * 7)) $(id -un)\r")
    vm.wait_for(r"LOGIN-42 root", timeout=20, after=password.end())

    qmp(vm.qmp_socket, "system_powerdown")
    assert vm.process.wait(timeout=60) == 0
    console = vm.console()
    assert "ACPI power button pressed" in console
    assert "shutting down" in console


def test_pause_freezes_the_guest_clock(
    guest_image: GuestImage, launch: LaunchVm, short_tmp: Path
) -> None:
    vm = launch(overlay_disk(guest_image, short_tmp / "pause.qcow2"), None)
    marker = vm.boot_marker()
    before = wait_ticks(vm, 1, vm.wait_for(r"NIMBOSTACK-BOOT [^\r\n]*\r?\n").end())[-1]

    qmp(vm.qmp_socket, "stop")
    paused_at = len(vm.console())
    time.sleep(6)
    assert "NIMBOSTACK-TICK" not in vm.console()[paused_at:]
    qmp(vm.qmp_socket, "cont")

    after = wait_ticks(vm, 1, paused_at)[0]
    assert after["boot_id"] == before["boot_id"] == marker["boot_id"]
    # 6 s of wall clock passed, but the guest only saw about one tick interval.
    assert float(after["uptime"]) - float(before["uptime"]) < 4.5, (before, after)
    assert marker["hostname"] == "nimbo"  # no config drive, no metadata service
