"""A real guest (QEMU) takes the adminPass the API answered: root logs in with it.

The password reaches the guest once, in its config drive; the guest sets root's
password from it (password.sh). Logging in is done on the guest's serial port,
which the QEMU driver serves on a socket beside the console log.
"""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from nimbostack.compute.agent.drivers.qemu.layout import Layout
from tests.e2e.guest_support import IMAGE, _rest, qemu_cloud, wait_boots, wait_status
from tests.support.cloud import RunningCloud

pytestmark = pytest.mark.e2e
LOGIN_TIMEOUT = 60.0


class SerialConsole:
    """An interactive session on a guest's serial socket, read into one text buffer."""

    def __init__(self, path: Path) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(str(path))
        self.text = ""
        self._lock = threading.Lock()
        # The emulated UART stalls when nobody reads: keep reading all the time.
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        try:
            while data := self.sock.recv(65536):
                with self._lock:
                    self.text += data.decode("utf-8", "replace")
        except OSError:
            pass

    def type(self, text: str) -> None:
        self.sock.sendall(text.encode())

    def wait_for(self, pattern: str, after: int, timeout: float = LOGIN_TIMEOUT) -> int:
        """Where ``pattern`` ends, in what the guest printed past offset ``after``."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                found = regex.search(self.text, after)
            if found:
                return found.end()
            time.sleep(0.1)
        raise AssertionError(f"{pattern!r} not seen; the console shows:\n{self.text[-2000:]}")

    def close(self) -> None:
        self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()
        self._reader.join(timeout=5)


@contextmanager
def serial(cloud: RunningCloud, uuid: str) -> Iterator[SerialConsole]:
    path = Layout(cloud.data_dir / "instances").guest(uuid).serial_socket
    console = SerialConsole(path)
    try:
        yield console
    finally:
        console.close()


def login(console: SerialConsole, password: str) -> bool:
    """Log in as root with ``password``; True if a root shell answered."""
    start = len(console.text)
    console.type("\r")
    prompt = console.wait_for(r"login: ", start)
    console.type("root\r")
    asked = console.wait_for(r"Password: ", prompt)
    console.type(password + "\r")
    done = console.wait_for(r"Login incorrect|[#$] ", asked)
    if "Login incorrect" in console.text[asked:done]:
        return False
    console.type("echo LOGIN-$((6 * 7)) $(id -un); exit\r")
    console.wait_for(r"LOGIN-42 root", done)
    return True


def _image_id(cloud: RunningCloud) -> str:
    found = cloud.cli("image", "list", "--name", IMAGE, "--status", "active")
    return str(found[0]["ID"])


def _create(cloud: RunningCloud, name: str) -> dict[str, Any]:
    body = {"name": name, "imageRef": _image_id(cloud), "flavorRef": "42", "networks": "none"}
    created: dict[str, Any] = _rest(cloud, "POST", "/servers", {"server": body})["server"]
    return created


def test_root_logs_in_with_the_answered_admin_password() -> None:
    with qemu_cloud() as cloud:
        created = _create(cloud, "pw-vm")
        password = created["adminPass"]
        uuid = created["id"]
        wait_status(cloud, "pw-vm", "ACTIVE")
        wait_boots(cloud, "pw-vm", 1)
        with serial(cloud, uuid) as console:
            assert not login(console, "nimbo")  # the image's default no longer opens it
            assert login(console, password)

        rebuilt = _rest(
            cloud,
            "POST",
            f"/servers/{uuid}/action",
            {"rebuild": {"imageRef": _image_id(cloud), "adminPass": "Rebuilt-Pass-42"}},
        )["server"]
        assert rebuilt["adminPass"] == "Rebuilt-Pass-42"
        wait_status(cloud, "pw-vm", "ACTIVE")
        wait_boots(cloud, "pw-vm", 2)
        with serial(cloud, uuid) as console:
            assert login(console, "Rebuilt-Pass-42")

        # Kept nowhere in clear: not in the compute database (nor its WAL), nor the log.
        for kept in ("compute.sqlite", "compute.sqlite-wal", "up.log"):
            path = cloud.data_dir / kept
            stored = path.read_bytes() if path.exists() else b""
            assert password.encode() not in stored, kept
            assert b"Rebuilt-Pass-42" not in stored, kept
