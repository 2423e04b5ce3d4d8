"""Network exports of volume files: one ``qemu-storage-daemon`` per attachment, over NBD.

A host other than the manager's reaches a volume through an NBD server that serves
that one attachment: its export is named after the attachment id, and the server
accepts only clients that complete a TLS handshake with the attachment's own
pre-shared key (``tls-creds-psk``). The key is 32 random bytes made for the export; it
travels in the attachment's ``connection_info`` (which block storage shows to services
only) and lives here in a file only this service can read. Without the key a client
gets no further than the TLS handshake: the server refuses every NBD option before
TLS, so the export's name or the port alone give nothing.

The listening socket is bound here (a free port on ``[volume] export_address``) and
handed to the daemon, which daemonises with its pid file. Each export keeps its state
in ``<root>/<export name>/`` (``export.json``, ``keys.psk``, pid file, log), so a
restarted manager adopts running daemons, restarts dead ones on their recorded port
and key (a host that rebooted), and closes those no attachment needs (reconcile).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import os
import re
import secrets
import shutil
import signal
import socket
from collections import defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path

from nimbostack.core import process
from nimbostack.volume.backends.base import BackendError

LOG = logging.getLogger(__name__)
DAEMON = "qemu-storage-daemon"
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_START_TIMEOUT = 30.0
_STOP_TIMEOUT = 10.0
_STATE = "export.json"


def export_name(attachment_id: str) -> str:
    """The export's (and its directory's, and its PSK identity's) name.

    An attachment's uuid as it is; other ids (legacy connections name a host) hashed,
    so the name is always safe in a path and on QEMU's command line.
    """
    if _UUID.match(attachment_id):
        return attachment_id
    return "x" + hashlib.sha256(attachment_id.encode()).hexdigest()[:40]


@dataclass(frozen=True)
class NbdExport:
    """One open export, as recorded in its ``export.json``."""

    attachment_id: str
    volume_id: str
    name: str
    address: str
    port: int
    key: str  # hex PSK
    path: str
    fmt: str
    read_only: bool
    pid: int = 0

    def connection(self) -> dict[str, object]:
        """``connection_info`` data of the export (the key included)."""
        return {
            "host": self.address,
            "port": self.port,
            "export_name": self.name,
            "tls_psk_identity": self.name,
            "tls_psk_key": self.key,
        }


class NbdExports:
    """The exports of one backend, kept under ``root``."""

    def __init__(self, root: Path, address: str) -> None:
        self.root = root
        self.address = address
        self._locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)

    def _dir(self, name: str) -> Path:
        return self.root / name

    # -- queries ----------------------------------------------------------------------
    def recorded(self) -> list[NbdExport]:
        """Every export with a state file (alive or not)."""
        found: list[NbdExport] = []
        if not self.root.is_dir():
            return found
        for entry in sorted(self.root.iterdir()):
            state = _read_state(entry / _STATE)
            if state is not None:
                found.append(state)
        return found

    def alive(self, export: NbdExport) -> bool:
        """Whether the export's daemon runs (the pid is ours: its command names our dir)."""
        return export.pid > 0 and _is_daemon(export.pid, self._dir(export.name))

    # -- open and close ---------------------------------------------------------------
    async def open(
        self, attachment_id: str, volume_id: str, path: Path, fmt: str, *, read_only: bool
    ) -> NbdExport:
        """The attachment's export, started if it does not run (the same one if it does)."""
        name = export_name(attachment_id)
        async with self._locks[name]:
            known = await asyncio.to_thread(_read_state, self._dir(name) / _STATE)
            if known is not None and await asyncio.to_thread(self.alive, known):
                if known.volume_id != volume_id:
                    raise BackendError(f"Export {name} serves another volume.")
                return known
            wanted = NbdExport(
                attachment_id=attachment_id,
                volume_id=volume_id,
                name=name,
                address=self.address,
                port=0,
                key=secrets.token_hex(32),
                path=str(path),
                fmt=fmt,
                read_only=read_only,
            )
            return await self._start(wanted)

    async def close(self, attachment_id: str) -> None:
        """Stop the attachment's daemon and forget its export (a missing one is fine)."""
        name = export_name(attachment_id)
        async with self._locks[name]:
            directory = self._dir(name)
            known = await asyncio.to_thread(_read_state, directory / _STATE)
            if known is not None:
                await self._stop(known)
            await asyncio.to_thread(shutil.rmtree, directory, True)
        lock = self._locks.get(name)
        if lock is not None and not lock.locked() and not lock._waiters:
            del self._locks[name]

    async def restore(self) -> None:
        """After a restart: adopt running daemons, restart dead ones where they were."""
        for export in await asyncio.to_thread(self.recorded):
            if await asyncio.to_thread(self.alive, export):
                LOG.info("adopted NBD export %s on port %d", export.name, export.port)
                continue
            try:
                await self._start(export)
                LOG.info("restarted NBD export %s on port %d", export.name, export.port)
            except BackendError as exc:
                LOG.warning("NBD export %s cannot be restarted: %s", export.name, exc)

    # -- the daemon -------------------------------------------------------------------
    async def _start(self, wanted: NbdExport) -> NbdExport:
        directory = self._dir(wanted.name)
        await asyncio.to_thread(_prepare_dir, directory, wanted)
        try:
            listener = _listen(wanted.address, wanted.port)
            try:
                port = int(listener.getsockname()[1])
                pid = await self._spawn(directory, wanted, listener.fileno())
            finally:
                listener.close()  # the daemon holds its own copy
        except BaseException:
            await asyncio.to_thread(shutil.rmtree, directory, True)
            raise
        started = NbdExport(**{**asdict(wanted), "port": port, "pid": pid})
        await asyncio.to_thread(_write_private, directory / _STATE, json.dumps(asdict(started)))
        return started

    async def _spawn(self, directory: Path, export: NbdExport, fd: int) -> int:
        pid_file = directory / "qsd.pid"
        node: dict[str, object] = {
            "driver": export.fmt,
            "node-name": "vol",
            "read-only": export.read_only,
            "file": {
                "driver": "file",
                "filename": export.path,
                "read-only": export.read_only,
            },
        }
        if export.fmt == "qcow2":
            node["backing"] = None  # never follow a backing file named inside the volume
        argv = [
            DAEMON,
            "--object",
            f"tls-creds-psk,id=tls0,endpoint=server,dir={_escape(directory)}",
            "--blockdev",
            json.dumps(node),
            "--nbd-server",
            f"addr.type=fd,addr.str={fd},tls-creds=tls0",
            "--export",
            f"type=nbd,id=exp0,node-name=vol,name={export.name},"
            f"writable={'off' if export.read_only else 'on'}",
            "--pidfile",
            str(pid_file),
            "--daemonize",
        ]
        # The daemon keeps whatever streams it gets: a log file, never pipes (the loop
        # would wait on them as long as it runs).
        log_path = directory / "qsd.log"
        with log_path.open("ab") as log:
            try:
                proc = await process.spawn(
                    *argv,
                    pass_fds=(fd,),
                    stdin=asyncio.subprocess.DEVNULL,
                    stdout=log,
                    stderr=log,
                )
            except OSError as exc:
                raise BackendError(f"{DAEMON} could not run: {exc.strerror}") from None
        try:
            async with asyncio.timeout(_START_TIMEOUT):
                status = await proc.wait()
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()
            raise BackendError(f"{DAEMON} did not start within {_START_TIMEOUT:g} s") from None
        if status != 0:
            raise BackendError(f"{DAEMON} failed: {_last_line(log_path)}")
        try:
            return int(pid_file.read_text().strip())
        except (OSError, ValueError):
            raise BackendError(f"{DAEMON} wrote no pid file") from None

    async def _stop(self, export: NbdExport) -> None:
        directory = self._dir(export.name)
        if not await asyncio.to_thread(_is_daemon, export.pid, directory):
            return
        started = await asyncio.to_thread(_start_time, export.pid)
        with contextlib.suppress(ProcessLookupError):
            os.kill(export.pid, signal.SIGTERM)
        loop = asyncio.get_running_loop()
        deadline, killed = loop.time() + _STOP_TIMEOUT, False
        # Until it is gone or a zombie: an exiting process loses its command line
        # before its descriptors, so the port may still listen while cmdline is empty.
        while started and await asyncio.to_thread(_start_time, export.pid) == started:
            if loop.time() > deadline:
                if killed:
                    raise BackendError(f"{DAEMON} of export {export.name} does not end.")
                with contextlib.suppress(ProcessLookupError):
                    os.kill(export.pid, signal.SIGKILL)
                deadline, killed = loop.time() + _STOP_TIMEOUT, True
            await asyncio.sleep(0.05)


def client_args(info: dict[str, object], key_dir: Path) -> list[str]:
    """qemu-img's arguments that open the NBD export ``info`` names (TLS with its key,
    written into ``key_dir``, a directory of this user's) as ``--target-image-opts``."""
    name, identity = str(info["export_name"]), str(info["tls_psk_identity"])
    _write_private(key_dir / "keys.psk", f"{identity}:{info['tls_psk_key']}\n")
    return [
        "--object",
        f"tls-creds-psk,id=tls0,endpoint=client,dir={_escape(key_dir)},username={identity}",
        "--target-image-opts",
        f"driver=nbd,server.type=inet,server.host={info['host']},"
        f"server.port={int(str(info['port']))},export={name},tls-creds=tls0",
    ]


def _listen(address: str, port: int) -> socket.socket:
    """A close-on-exec listening TCP socket on ``address`` (port 0: any free one)."""
    try:
        family, kind, proto, _name, where = socket.getaddrinfo(
            address, port, type=socket.SOCK_STREAM, flags=socket.AI_NUMERICHOST
        )[0]
    except socket.gaierror:
        raise BackendError(f"Export address {address!r} is not an IP address.") from None
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(where)
        sock.listen(16)
    except OSError as exc:
        sock.close()
        raise BackendError(f"Cannot listen on {address} port {port}: {exc.strerror}") from None
    return sock


def _prepare_dir(directory: Path, export: NbdExport) -> None:
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(directory, 0o700)
    (directory / "qsd.pid").unlink(missing_ok=True)
    _write_private(directory / "keys.psk", f"{export.name}:{export.key}\n")


def _write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` readable by this user alone, replacing it whole."""
    scratch = path.with_name(path.name + ".new")
    fd = os.open(scratch, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(text)
    os.replace(scratch, path)


def _read_state(path: Path) -> NbdExport | None:
    try:
        return NbdExport(**json.loads(path.read_text()))
    except (OSError, ValueError, TypeError):
        return None


def _start_time(pid: int) -> str | None:
    """The process's start time (clock ticks since boot) while it lives, else None: gone,
    or a zombie without threads left (its last thread closed its descriptors)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        threads = len(os.listdir(f"/proc/{pid}/task"))
    except OSError:
        return None
    fields = stat[stat.rfind(")") + 2 :].split()
    if not fields or (fields[0] in ("Z", "X") and threads <= 1):
        return None
    return fields[19]  # field 22 of proc(5), counted after the state (field 3)


def _is_daemon(pid: int, directory: Path) -> bool:
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    if not argv or Path(argv[0].decode(errors="replace")).name != DAEMON:
        return False
    marker = f"dir={_escape(directory)}".encode()
    return any(marker in arg for arg in argv)


def _escape(path: Path) -> str:
    """A path as one value of QEMU's ``key=value,...`` syntax (commas doubled)."""
    return str(path).replace(",", ",,")


def _last_line(log: Path) -> str:
    with contextlib.suppress(OSError):
        lines = log.read_text(errors="replace").strip().splitlines()
        if lines:
            return lines[-1]
    return "no output"
