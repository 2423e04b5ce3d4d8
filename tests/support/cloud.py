"""A real `nimbostack up` in a subprocess, on ports it binds itself, with helpers to drive it."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import ssl
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from nimbostack.cmd.services import in_up
from nimbostack.core.loopwatch import MARKER

# CPU time one event-loop callback may take in services the tests run (see
# core/loopwatch.py and tests/functional/conftest.py).
LOOP_WATCH_MS = 50
# The same in a cloud the suite starts; ``RunningCloud.loop_blocks`` lists the callbacks
# that took more. A running cloud compiles each new shape of an SQL statement once, on
# the loop: placement's candidates query takes 40-65 ms of CPU the first time (more on
# a busy machine), so the cloud allows twice the usual time.
CLOUD_LOOP_WATCH_MS = 2 * LOOP_WATCH_MS

# Clients share one TLS context, made once: loading the CA certificates for each new
# client costs more CPU than the functional tests' loop watch allows one callback.
CLIENT_TLS = ssl.create_default_context()
VENV_BIN = Path(sys.executable).parent
OPENSTACK = str(VENV_BIN / "openstack")


def end_export_daemons(data_dir: Path) -> None:
    """End the volumes' NBD export daemons under ``data_dir``: like guests, they outlive
    the cloud by design (a test may have exported a volume to another host)."""
    marker = f"{data_dir}/".encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if argv.startswith(b"qemu-storage-daemon\0") and marker in argv:
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(entry.name), signal.SIGKILL)


@dataclass
class Account:
    user: str
    password: str
    project: str
    project_id: str = ""
    user_id: str = ""


class CloudAccess:
    """Addresses and credentials of a cloud the suite started, used over its REST APIs.

    ``RunningCloud`` (a `nimbostack up` process) and ``LocalCloud`` (services on a loop
    of this process, tests/support/local_cloud.py) both keep the bootstrap passwords in
    ``data_dir`` and the ports their services bound in ``ports``.
    """

    data_dir: Path
    ports: dict[str, int]
    _tokens: dict[str, str]

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}"

    @property
    def auth_url(self) -> str:
        return f"{self.url('identity')}/v3"

    def password(self, user: str) -> str:
        return (self.data_dir / f"{user}-password").read_text().strip()

    @property
    def admin(self) -> Account:
        return Account("admin", self.password("admin"), "admin")

    @property
    def demo(self) -> Account:
        return Account("demo", self.password("demo"), "demo")

    def token(
        self, user: str, password: str, project: str | None = None, system: bool = False
    ) -> str:
        key = f"{user}/{password}/{project}/{system}"
        if key not in self._tokens:
            self._tokens[key] = self.issue_token(user, password, project, system)
        return self._tokens[key]

    def issue_token(
        self, user: str, password: str, project: str | None = None, system: bool = False
    ) -> str:
        scope: dict[str, Any] | None = None
        if project:
            scope = {"project": {"name": project, "domain": {"id": "default"}}}
        elif system:
            scope = {"system": {"all": True}}
        auth: dict[str, Any] = {
            "identity": {
                "methods": ["password"],
                "password": {
                    "user": {"name": user, "domain": {"id": "default"}, "password": password}
                },
            }
        }
        if scope:
            auth["scope"] = scope
        resp = httpx.post(
            f"{self.auth_url}/auth/tokens", json={"auth": auth}, timeout=30, verify=CLIENT_TLS
        )
        assert resp.status_code == 201, resp.text
        return resp.headers["X-Subject-Token"]

    def admin_token(self) -> str:
        return self.token("admin", self.password("admin"), "admin")

    def project_token(self, user: str, password: str, project: str) -> str:
        return self.token(user, password, project)

    def make_project_user(self, prefix: str, role: str = "member") -> Account:
        """A fresh project with a fresh user holding ``role`` on it (via the REST API)."""
        name = f"{prefix}-{uuid.uuid4().hex[:8]}"
        headers = {"X-Auth-Token": self.admin_token()}
        base = self.auth_url
        with httpx.Client(timeout=30, verify=CLIENT_TLS) as http:
            project = http.post(
                f"{base}/projects",
                headers=headers,
                json={"project": {"name": name, "domain_id": "default"}},
            )
            assert project.status_code == 201, project.text
            password = uuid.uuid4().hex
            user = http.post(
                f"{base}/users",
                headers=headers,
                json={"user": {"name": name, "domain_id": "default", "password": password}},
            )
            assert user.status_code == 201, user.text
            roles = http.get(f"{base}/roles", headers=headers, params={"name": role})
            role_id = roles.json()["roles"][0]["id"]
            pid, uid = project.json()["project"]["id"], user.json()["user"]["id"]
            grant = http.put(f"{base}/projects/{pid}/users/{uid}/roles/{role_id}", headers=headers)
            assert grant.status_code == 204, grant.text
        return Account(name, password, name, project_id=pid, user_id=uid)


@dataclass
class RunningCloud(CloudAccess):
    """A cloud started by the test suite; stop() ends it."""

    data_dir: Path
    env: dict[str, str]
    ports: dict[str, int]
    proc: subprocess.Popen[bytes] | None = None
    _tokens: dict[str, str] = field(default_factory=dict)

    @classmethod
    def start(cls, data_dir: Path, extra_env: dict[str, str] | None = None) -> RunningCloud:
        env = dict(os.environ)
        env.update(
            {
                "HOME": str(data_dir / "home"),
                "NIMBOSTACK_DATA_DIR": str(data_dir),
                "NIMBOSTACK_NO_USER_CLOUDS": "1",
                "NIMBOSTACK_IDENTITY__PASSWORD_HASH_ROUNDS": "4",
                "OS_CLIENT_CONFIG_FILE": str(data_dir / "clouds.yaml"),
                # The guest image build is cached across sessions in the real home.
                "NIMBOSTACK_GUEST_CACHE": os.environ.get(
                    "NIMBOSTACK_GUEST_CACHE", str(Path.home() / ".cache/nimbostack/guest")
                ),
            }
        )
        # Every service binds a free port itself and reports it in status.json: ports
        # picked here and released before the child binds them could be taken meanwhile.
        env.update({f"NIMBOSTACK_{spec.name.upper()}__PORT": "0" for spec in in_up()})
        env["NIMBOSTACK_COMPUTE__METADATA_PORT"] = "0"
        env["NIMBOSTACK_DEFAULT__LOOP_WATCH_MS"] = str(CLOUD_LOOP_WATCH_MS)
        # Most tests exercise the control plane; real guests are asked for explicitly.
        env.setdefault("NIMBOSTACK_COMPUTE_AGENT__DRIVER", "fake")
        env.update(extra_env or {})
        cloud = cls(data_dir=data_dir, env=env, ports={})
        data_dir.mkdir(parents=True, exist_ok=True)
        # The child keeps its own copy of the log's descriptor.
        with (data_dir / "up.log").open("wb") as log:
            cloud.proc = subprocess.Popen(
                [str(VENV_BIN / "nimbostack"), "up"], env=env, stdout=log, stderr=subprocess.STDOUT
            )
        try:
            cloud.wait_ready()
        except BaseException:
            cloud.stop()  # never leave a half-started cloud running
            raise
        return cloud

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        status = self.data_dir / "status.json"
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise RuntimeError(f"nimbostack up exited: {self.log_tail()}")
            if status.exists():
                self._learn_ports(json.loads(status.read_text())["ports"])
                return
            time.sleep(0.05)
        raise RuntimeError(f"nimbostack up not ready in {timeout}s: {self.log_tail()}")

    def _learn_ports(self, bound: dict[str, int]) -> None:
        """Keep the ports the cloud bound, and give them to processes started later."""
        for name, port in bound.items():
            section, _, option = name.partition(".")
            self.env[f"NIMBOSTACK_{section.upper()}__{(option or 'port').upper()}"] = str(port)
            if not option:
                self.ports[section] = port

    def log_tail(self, lines: int = 40) -> str:
        path = self.data_dir / "up.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])

    def loop_blocks(self) -> list[str]:
        """The log lines of event-loop callbacks that ran longer than CLOUD_LOOP_WATCH_MS."""
        path = self.data_dir / "up.log"
        return [line for line in path.read_text(errors="replace").splitlines() if MARKER in line]

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        end_export_daemons(self.data_dir)

    # -- the unmodified openstack CLI ----------------------------------------------
    def cli_raw(
        self,
        *args: str,
        cloud: str = "nimbostack",
        account: Account | None = None,
        check: bool = True,
    ) -> subprocess.CompletedProcess[str]:
        if account is None and cloud:
            auth = ["--os-cloud", cloud]
        elif account is None:
            auth = ["--os-auth-url", self.auth_url, "--os-identity-api-version", "3"]
        else:
            auth = [
                "--os-auth-url",
                self.auth_url,
                "--os-identity-api-version",
                "3",
                "--os-username",
                account.user,
                "--os-password",
                account.password,
                "--os-project-name",
                account.project,
                "--os-user-domain-name",
                "Default",
                "--os-project-domain-name",
                "Default",
            ]
        env = {
            k: v
            for k, v in self.env.items()
            if not k.startswith("OS_") or k == "OS_CLIENT_CONFIG_FILE"
        }
        result = subprocess.run(
            [OPENSTACK, *auth, *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"openstack {' '.join(args)} failed ({result.returncode}): {result.stderr}"
            )
        return result

    def cli(self, *args: str, cloud: str = "nimbostack", account: Account | None = None) -> Any:
        """Run the CLI with ``-f json`` and parse its output."""
        result = self.cli_raw(*args, "-f", "json", cloud=cloud, account=account)
        return json.loads(result.stdout) if result.stdout.strip() else None
