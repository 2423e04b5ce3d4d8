"""The all-in-one cloud of `nimbostack up`: every service in one process."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import secrets
import time
from pathlib import Path
from typing import Any

from nimbostack.cmd.clouds import cloud_entry, write_clouds
from nimbostack.cmd.services import ServiceSpec, in_up
from nimbostack.core.metadata import SECRET_FILE, settle_shared_secret, shared_secret
from nimbostack.core.service import Runtime, Service
from nimbostack.identity.bootstrap import Account, CatalogEntry, bootstrap
from nimbostack.identity.service import IdentityService

LOG = logging.getLogger("nimbostack.up")


def secret_file(path: Path) -> str:
    """Read a generated secret, creating it (mode 600) on first use."""
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(18)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(value + "\n")
    return value


class Cloud:
    """Starts identity, bootstraps it, then every other service; writes clouds.yaml."""

    def __init__(
        self,
        runtime: Runtime,
        specs: list[ServiceSpec] | None = None,
        apart: set[str] | None = None,
    ) -> None:
        """``apart``: services of the catalog that run in processes of their own."""
        self.runtime = runtime
        self.specs = specs or in_up()
        self.apart = apart or set()
        known = {s.name for s in self.specs}
        for name in sorted(self.apart):
            if name not in known or name == "identity":
                choices = ", ".join(sorted(known - {"identity"}))
                raise KeyError(f"--apart {name}: not a service of up (choose from {choices})")
        self.local = [s for s in self.specs if s.name not in self.apart]
        self.services: list[Service[Any]] = []
        self._guest_task: asyncio.Task[None] | None = None
        self._topology_task: asyncio.Task[None] | None = None
        self.admin_password = secret_file(runtime.data_dir / "admin-password")
        self.demo_password = secret_file(runtime.data_dir / "demo-password")
        # The services' own user (clients/service_auth.py reads the same file).
        self.service_password = secret_file(runtime.data_dir / "service-password")

    def catalog(self) -> list[CatalogEntry]:
        return [
            CatalogEntry(kind, s.catalog_name, self.runtime.url(s.name, s.path))
            for s in self.specs
            for kind in s.catalog_types()
        ]

    def _generated_secrets(self) -> None:
        # Secrets shared between services of this one process, generated once per cloud.
        rt = self.runtime
        if not shared_secret(rt.conf, rt.data_dir):
            secret_file(rt.data_dir / SECRET_FILE)
        settle_shared_secret(rt.conf, rt.data_dir)

    async def start(self) -> None:
        started = time.perf_counter()
        self._generated_secrets()
        loaded = [spec.load(self.runtime) for spec in self.local]
        # Every port is bound first: the catalog then names the real ones (0 = any).
        for service in loaded:
            service.bind()
        identity = next(s for s in loaded if isinstance(s, IdentityService))
        state = await identity.prepare()
        accounts = [
            Account("admin", self.admin_password, "admin", "admin", system=True),
            Account("demo", self.demo_password, "demo", "member"),
            Account("nimbostack-service", self.service_password, "service", "admin"),
        ]
        await bootstrap(state, accounts, self.catalog(), self.runtime.conf.DEFAULT.region)
        await identity.start()
        self.services.append(identity)
        waves = {spec.name: spec.wave for spec in self.local}
        others = [s for s in loaded if s is not identity]
        for wave in sorted({waves[s.name] for s in others}):
            batch = [s for s in others if waves[s.name] == wave]
            await asyncio.gather(*(service.start() for service in batch))
            self.services.extend(batch)
        self.write_clouds()
        if any(s.name == "image" for s in self.local) and self.runtime.conf.image.guest_image:
            self._guest_task = asyncio.create_task(self._guest_image())
        if (
            any(s.name == "network" for s in self.local)
            and self.runtime.conf.network.bootstrap_topology
        ):
            self._topology_task = asyncio.create_task(self._topology())
        elapsed = time.perf_counter() - started
        self._write_status(elapsed)
        LOG.info("cloud ready in %.2f s", elapsed)

    async def _guest_image(self) -> None:
        # In the background: the APIs answer while the guest image builds on first start.
        from nimbostack.cmd.guest import ensure_guest_image

        try:
            await ensure_guest_image(self.runtime, self.admin_password)
        except Exception:
            LOG.exception("could not build or register the guest image")

    async def _topology(self) -> None:
        # In the background, like the guest image: the APIs answer meanwhile.
        from nimbostack.cmd.topology import ensure_topology

        try:
            await ensure_topology(self.runtime, self.admin_password)
        except Exception:
            LOG.exception("could not build the network topology")

    def write_clouds(self, user_file: Path | None = None) -> None:
        rt = self.runtime
        auth_url = rt.url("identity", "/v3")
        region = rt.conf.DEFAULT.region
        clouds = {
            "nimbostack": cloud_entry(auth_url, "admin", self.admin_password, "admin", region),
            "nimbostack-demo": cloud_entry(auth_url, "demo", self.demo_password, "demo", region),
        }
        if user_file is None and not os.environ.get("NIMBOSTACK_NO_USER_CLOUDS"):
            user_file = Path.home() / ".config" / "openstack" / "clouds.yaml"
        write_clouds(rt.data_dir / "clouds.yaml", clouds, user_file)

    def _write_status(self, elapsed: float) -> None:
        status = {
            "pid": os.getpid(),
            "started_in_seconds": round(elapsed, 3),
            "services": {s.name: self.runtime.url(s.name) for s in self.services},
            "ports": self.runtime.bound_ports(),
        }
        # Written whole, then renamed into place: readers never see half a file.
        path = self.runtime.data_dir / "status.json"
        partial = path.with_suffix(".json.partial")
        partial.write_text(json.dumps(status, indent=2))
        partial.replace(path)

    async def stop(self) -> None:
        background = [t for t in (self._guest_task, self._topology_task) if t is not None]
        for task in background:
            task.cancel()
        # Let them finish cancelling (the guest image build kills its child process).
        await asyncio.gather(*background, return_exceptions=True)
        for service in reversed(self.services):
            await service.stop()
        self.services.clear()
        await self.runtime.close()
        status = self.runtime.data_dir / "status.json"
        status.unlink(missing_ok=True)
