"""A throwaway RabbitMQ broker for tests: its own node name, ports and data directory.

The broker runs from the installed ``rabbitmq-server`` scripts, without plugins, bound
to 127.0.0.1 on free ports (ports.py). `restart` stops it gracefully and starts it again on the
same ports and data directory, so durable queues and persistent messages survive, as
they would on a real broker restart. The Erlang port mapper (epmd) is started by the
first broker if needed and left running: it is shared by every Erlang node.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path
from types import TracebackType

from tests.support.ports import check_taken, free_port, start_retrying

SERVER_SCRIPT = Path("/usr/lib/rabbitmq/bin/rabbitmq-server")
# AMQP 0-9-1 protocol header; a ready broker answers with a Connection.Start frame.
_AMQP_HEADER = b"AMQP\x00\x00\x09\x01"
_METHOD_FRAME = 1


def rabbitmq_available() -> bool:
    """Whether a RabbitMQ server is installed on this machine."""
    return SERVER_SCRIPT.exists() and shutil.which("erl") is not None


def amqp_ready(port: int) -> bool:
    """Whether a broker on ``port`` completes the start of an AMQP handshake."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1.0) as sock:
            sock.sendall(_AMQP_HEADER)
            return sock.recv(1)[:1] == bytes([_METHOD_FRAME])
    except OSError:
        return False


class RabbitBroker:
    """One RabbitMQ node for a test session; `url` is a ``rabbit://`` transport URL."""

    user = "nimbostack"
    password = "nimbostack"

    def __init__(self, base_dir: Path | None = None, *, start_timeout: float = 60.0) -> None:
        self._own_dir = base_dir is None
        self.base_dir = base_dir or Path(tempfile.mkdtemp(prefix="nimbo-rabbit-"))
        self.node = f"nimbo-{uuid.uuid4().hex[:8]}@localhost"
        self.port = free_port()
        self.dist_port = free_port()
        self.start_timeout = start_timeout
        self._process: subprocess.Popen[bytes] | None = None
        self._started = False  # once started, a restart keeps the same ports
        self._log_start = 0  # where the current start's lines begin in the log
        self._write_config()

    @property
    def url(self) -> str:
        return f"rabbit://{self.user}:{self.password}@127.0.0.1:{self.port}/"

    @property
    def log_file(self) -> Path:
        return self.base_dir / "server.out"

    def _write_config(self) -> None:
        self.base_dir.mkdir(parents=True, exist_ok=True)
        (self.base_dir / "enabled_plugins").write_text("[].\n")
        (self.base_dir / "rabbitmq-env.conf").write_text("")
        (self.base_dir / "rabbitmq.conf").write_text(
            f"default_user = {self.user}\n"
            f"default_pass = {self.password}\n"
            "loopback_users = none\n"
            # Tests run on small disks; the default 50 MB floor is fine, a
            # relative one could block publishers.
            "disk_free_limit.absolute = 50MB\n"
        )

    def _environment(self) -> dict[str, str]:
        base = str(self.base_dir)
        return {
            **os.environ,
            "HOME": base,  # where Erlang keeps its cookie
            "RABBITMQ_NODENAME": self.node,
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(self.dist_port),
            "RABBITMQ_MNESIA_BASE": f"{base}/mnesia",
            "RABBITMQ_LOG_BASE": f"{base}/log",
            "RABBITMQ_CONFIG_FILE": f"{base}/rabbitmq.conf",
            "RABBITMQ_CONF_ENV_FILE": f"{base}/rabbitmq-env.conf",
            "RABBITMQ_ENABLED_PLUGINS_FILE": f"{base}/enabled_plugins",
            "RABBITMQ_PID_FILE": f"{base}/rabbitmq.pid",
        }

    def start(self) -> str:
        """Start the broker and wait until it accepts AMQP; returns `url`.

        A first start moves to fresh ports if one was taken meanwhile; a restart keeps
        its ports, which clients already know.
        """
        if self._process is not None:
            raise RuntimeError(f"broker {self.node} is already running")
        if self._started:
            return self._start_node()
        url = start_retrying(self._start_node, self._new_ports)
        self._started = True
        return url

    def _new_ports(self) -> None:
        self.port, self.dist_port = free_port(), free_port()

    def _start_node(self) -> str:
        self._log_start = self.log_file.stat().st_size if self.log_file.exists() else 0
        with self.log_file.open("ab") as out:
            # Run the packaged script directly: the /usr/sbin wrapper would switch to
            # the rabbitmq user, who cannot write our temp dir.
            self._process = subprocess.Popen(
                [str(SERVER_SCRIPT)],
                env=self._environment(),
                cwd=self.base_dir,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        _running.add(self)
        self._wait_ready()
        return self.url

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                self._process = None
                _running.discard(self)
                check_taken(self._log_since_start())
                raise RuntimeError(f"RabbitMQ exited during start-up:\n{self._log_tail()}")
            if amqp_ready(self.port):
                return
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(
            f"RabbitMQ not ready after {self.start_timeout:g} s:\n{self._log_tail()}"
        )

    def _log_since_start(self) -> str:
        with self.log_file.open("rb") as log:
            log.seek(self._log_start)
            return log.read().decode(errors="replace")

    def _log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self, timeout: float = 30.0) -> None:
        """Stop the broker gracefully (SIGTERM), killing it if it takes too long."""
        process, self._process = self._process, None
        _running.discard(self)
        if process is None:
            return
        # The script traps SIGTERM and shuts the Erlang node down cleanly, which
        # flushes queues and persistent messages to disk.
        with contextlib.suppress(ProcessLookupError):
            os.kill(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)
        # The script returns once the node is down; its children share the session.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)

    def restart(self) -> None:
        """Stop and start again on the same ports and data directory."""
        self.stop()
        self.start()

    def cleanup(self) -> None:
        """Stop the broker and remove its directory if this helper created it."""
        self.stop()
        if self._own_dir:
            shutil.rmtree(self.base_dir, ignore_errors=True)

    def __enter__(self) -> RabbitBroker:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.cleanup()


_running: set[RabbitBroker] = set()


@atexit.register
def _stop_leftovers() -> None:
    # A crashed or interrupted session must not leave brokers behind.
    for broker in list(_running):
        broker.stop(timeout=10.0)
