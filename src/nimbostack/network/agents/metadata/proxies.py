"""The metadata proxies: one haproxy per DHCP or router namespace, started, adopted, removed.

Each proxy keeps its files in ``<data dir>/metadata-proxy/<namespace>/`` (configuration
and pid file), so its directory and its command line both carry the namespace's name,
which carries the network's or router's id. haproxy daemonises and outlives the agent;
``ensure`` adopts a running one whose configuration is unchanged (no second process),
and restarts one whose configuration changed. ``resync`` removes the proxies of
namespaces that no longer exist. Calls for one namespace take turns.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
from collections import defaultdict
from pathlib import Path

from nimbostack.core import netdev
from nimbostack.core.process import run, spawn
from nimbostack.network.agents.metadata import pidfile
from nimbostack.network.agents.metadata.haproxy import ProxySpec, render

LOG = logging.getLogger(__name__)
HAPROXY = "haproxy"
START_TIMEOUT = 30.0
CONFIG = "haproxy.cfg"
PID = "haproxy.pid"


class ProxyError(Exception):
    """haproxy could not be started in a namespace; the message says why."""


class HaproxyProxies:
    """The ``NamespaceProxies`` of the DHCP and L3 agents, with haproxy."""

    def __init__(self, state_dir: Path, socket_path: Path) -> None:
        self.state_dir = state_dir
        self.socket_path = socket_path
        self._locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)

    def directory(self, namespace: str) -> Path:
        return self.state_dir / namespace

    async def ensure(
        self, namespace: str, *, network_id: str | None = None, router_id: str | None = None
    ) -> None:
        """Run the namespace's proxy for ``network_id`` or ``router_id`` (idempotent)."""
        spec = ProxySpec(namespace, network_id, router_id)
        async with self._locks[namespace]:
            where = self.directory(namespace)
            config = render(spec, where / PID, self.socket_path)
            if await self._current(where) == config and await self.pid(namespace):
                return
            await pidfile.stop(where / PID, str(where / CONFIG))
            await asyncio.to_thread(_write, where, config)
            await self._start(namespace, where)

    async def remove(self, namespace: str) -> None:
        """Stop the namespace's proxy and delete its files."""
        async with self._locks[namespace]:
            where = self.directory(namespace)
            await pidfile.stop(where / PID, str(where / CONFIG))
            await asyncio.to_thread(shutil.rmtree, where, True)
        self._locks.pop(namespace, None)

    async def pid(self, namespace: str) -> int | None:
        """The pid of the namespace's running proxy, if any."""
        where = self.directory(namespace)
        return await pidfile.running(where / PID, str(where / CONFIG))

    async def known(self) -> list[str]:
        """The namespaces this host has proxy files for."""
        return await asyncio.to_thread(_subdirectories, self.state_dir)

    async def resync(self) -> list[str]:
        """Remove the proxies of namespaces that are gone; the namespaces cleaned."""
        alive = set(await netdev.namespaces())
        stale = [name for name in await self.known() if name not in alive]
        for namespace in stale:
            LOG.info("removing the metadata proxy of vanished namespace %s", namespace)
            await self.remove(namespace)
        return stale

    async def _current(self, where: Path) -> str | None:
        return await asyncio.to_thread(_read, where / CONFIG)

    async def _start(self, namespace: str, where: Path) -> None:
        config = str(where / CONFIG)
        argv = ["ip", "netns", "exec", namespace, HAPROXY, "-f", config]
        # haproxy forks its daemon and exits once that one listens and wrote its pid.
        # The daemon keeps its standard streams: pipes would never be seen closed under
        # uvloop, and a file would be a descriptor of ours it holds, so they go nowhere.
        try:
            proc = await spawn(
                *argv,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.DEVNULL,
            )
            try:
                code = await asyncio.wait_for(proc.wait(), START_TIMEOUT)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    proc.kill()
                await proc.wait()
                raise ProxyError(
                    f"{namespace}: haproxy did not start in {START_TIMEOUT:g} s"
                ) from None
        except OSError as exc:
            raise ProxyError(f"{namespace}: cannot run haproxy: {exc!r}") from exc
        if code != 0 or await self.pid(namespace) is None:
            raise ProxyError(f"{namespace}: haproxy did not start: {await _why(config)}")


async def _why(config: str) -> str:
    """What haproxy says of its configuration (its check mode does not daemonise)."""
    try:
        done = await run(HAPROXY, "-c", "-f", config, timeout=START_TIMEOUT)
    except OSError as exc:
        return repr(exc)
    return done.reason()


def _write(where: Path, config: str) -> None:
    where.mkdir(parents=True, exist_ok=True)
    staged = where / f".{CONFIG}.new"
    staged.write_text(config)
    staged.replace(where / CONFIG)


def _read(path: Path) -> str | None:
    try:
        return path.read_text()
    except OSError:
        return None


def _subdirectories(path: Path) -> list[str]:
    try:
        return sorted(entry.name for entry in path.iterdir() if entry.is_dir())
    except FileNotFoundError:
        return []
