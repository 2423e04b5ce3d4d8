"""A throwaway PostgreSQL cluster for tests: initdb in a temp dir, one free port (ports.py).

PostgreSQL refuses to run as root, so under root the cluster belongs to the
``postgres`` system user (created by the Debian package); otherwise to the current
user. It trades durability for speed (``fsync=off``): fine for data that dies with
the test session.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import pwd
import re
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import IO

import psycopg
from psycopg import sql

from tests.support.ports import check_taken, free_port, start_retrying

PG_BIN = Path(os.environ.get("NIMBOSTACK_PG_BIN", "/usr/lib/postgresql/15/bin"))
_DB_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def postgres_available() -> bool:
    """Whether PostgreSQL server binaries are installed where this helper looks."""
    return (PG_BIN / "initdb").exists() and (PG_BIN / "postgres").exists()


class PostgresCluster:
    """One PostgreSQL 15 cluster for a test session; `url` gives SQLAlchemy URLs."""

    user = "nimbostack"
    password = "nimbostack"

    def __init__(self, *, start_timeout: float = 60.0) -> None:
        self.base_dir = Path(tempfile.mkdtemp(prefix="nimbo-pg-"))
        self.data_dir = self.base_dir / "data"
        self.port = free_port()
        self.start_timeout = start_timeout
        self._owner = pwd.getpwnam("postgres") if os.geteuid() == 0 else None
        self._process: subprocess.Popen[bytes] | None = None
        self._log_start = 0  # where the current start's lines begin in server.log

    def url(self, database: str = "postgres") -> str:
        """The SQLAlchemy URL of ``database`` (psycopg 3 driver)."""
        return f"postgresql+psycopg://{self.user}:{self.password}@127.0.0.1:{self.port}/{database}"

    def _conninfo(self, database: str = "postgres") -> str:
        return (
            f"host=127.0.0.1 port={self.port} dbname={database} "
            f"user={self.user} password={self.password} connect_timeout=2"
        )

    def _run_as_owner(
        self, args: list[str], *, stdout: int | IO[bytes], start_new_session: bool = False
    ) -> subprocess.Popen[bytes]:
        owner = self._owner
        return subprocess.Popen(
            args,
            user=owner.pw_uid if owner else None,
            group=owner.pw_gid if owner else None,
            extra_groups=[] if owner else None,
            env={**os.environ, "HOME": str(self.base_dir), "LC_ALL": "C"},
            cwd=self.base_dir,
            stdin=subprocess.DEVNULL,
            stdout=stdout,
            stderr=subprocess.STDOUT,
            start_new_session=start_new_session,
        )

    def _initdb(self) -> None:
        if self._owner is not None:
            os.chown(self.base_dir, self._owner.pw_uid, self._owner.pw_gid)
        pwfile = self.base_dir / "pwfile"
        pwfile.write_text(self.password + "\n")
        if self._owner is not None:
            os.chown(pwfile, self._owner.pw_uid, self._owner.pw_gid)
        init = self._run_as_owner(
            [str(PG_BIN / "initdb"), "-D", str(self.data_dir), "-U", self.user,
             f"--pwfile={pwfile}", "--auth=scram-sha-256", "-E", "UTF8",
             "--locale=C", "--no-sync"],
            stdout=subprocess.PIPE,
        )  # fmt: skip
        output, _ = init.communicate(timeout=120)
        pwfile.unlink()
        if init.returncode != 0:
            raise RuntimeError(f"initdb failed:\n{output.decode(errors='replace')}")

    def start(self) -> PostgresCluster:
        """Create the cluster (first time) and start it; returns self once it accepts."""
        if self._process is not None:
            raise RuntimeError("PostgreSQL is already running")
        if not self.data_dir.exists():
            self._initdb()
        return start_retrying(self._start_server, self._new_port)

    def _new_port(self) -> None:
        self.port = free_port()

    def _start_server(self) -> PostgresCluster:
        log_path = self.base_dir / "server.log"
        self._log_start = log_path.stat().st_size if log_path.exists() else 0
        with log_path.open("ab") as log:
            self._process = self._run_as_owner(
                [str(PG_BIN / "postgres"), "-D", str(self.data_dir), "-p", str(self.port),
                 "-h", "127.0.0.1", "-k", str(self.base_dir), "-c", "fsync=off",
                 "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
                 "-c", "max_connections=200"],
                stdout=log,
                start_new_session=True,
            )  # fmt: skip
        _running.add(self)
        self._wait_ready()
        return self

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.start_timeout
        last: Exception | None = None
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                self._process = None
                _running.discard(self)
                check_taken(self._log_since_start())
                raise RuntimeError(f"PostgreSQL exited during start-up:\n{self._log_tail()}")
            try:
                with psycopg.connect(self._conninfo()):
                    return
            except psycopg.OperationalError as exc:
                last = exc
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"PostgreSQL not ready: {last}\n{self._log_tail()}")

    def _log_since_start(self) -> str:
        with (self.base_dir / "server.log").open("rb") as log:
            log.seek(self._log_start)
            return log.read().decode(errors="replace")

    def _log_tail(self, lines: int = 30) -> str:
        try:
            text = (self.base_dir / "server.log").read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def create_database(self, name: str) -> str:
        """Create database ``name`` (lower-case identifier) and return its URL."""
        if not _DB_NAME.match(name):
            raise ValueError(f"database name {name!r} must be a lower-case identifier")
        with psycopg.connect(self._conninfo(), autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return self.url(name)

    def drop_database(self, name: str) -> None:
        with psycopg.connect(self._conninfo(), autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )

    def stop(self, timeout: float = 30.0) -> None:
        """Stop the server with a fast shutdown (SIGINT), killing it if needed."""
        process, self._process = self._process, None
        _running.discard(self)
        if process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(process.pid, signal.SIGINT)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)

    def cleanup(self) -> None:
        """Stop the server and delete the cluster."""
        self.stop()
        shutil.rmtree(self.base_dir, ignore_errors=True)

    def __enter__(self) -> PostgresCluster:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.cleanup()


_running: set[PostgresCluster] = set()


@atexit.register
def _stop_leftovers() -> None:
    for cluster in list(_running):
        cluster.stop(timeout=10.0)
