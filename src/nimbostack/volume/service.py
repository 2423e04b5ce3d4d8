"""Runs block storage: the API, the scheduler, and one manager per enabled backend.

``VolumeService`` ("volume") runs them all for `nimbostack up`; the role services run
one each for `nimbostack serve volume-api | volume-scheduler | volume-manager`. They
share the database and talk over the bus of ``[DEFAULT] transport_url``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path
from typing import ClassVar

from nimbostack.clients.service_auth import service_auth
from nimbostack.core.api.errorbody import cinder_error
from nimbostack.core.auth.policy import RuleDefault
from nimbostack.core.context import RequestContext
from nimbostack.core.runtime import Runtime
from nimbostack.core.service import Api, Schema, Service
from nimbostack.volume import backends, policies
from nimbostack.volume import options as _options  # noqa: F401  (registers [volume])
from nimbostack.volume.api.routes import ROUTES
from nimbostack.volume.backup.posix import PosixStore
from nimbostack.volume.db.models import Base
from nimbostack.volume.manager.manager import VolumeManager
from nimbostack.volume.messages import MANAGER, SCHEDULER, PublishCapacity
from nimbostack.volume.objects import services, types, user_messages
from nimbostack.volume.options import backend_options
from nimbostack.volume.rpcapi import VolumeRpc
from nimbostack.volume.scheduler.manager import SchedulerManager
from nimbostack.volume.state import VolumeState
from nimbostack.volume.versions import VERSIONS

LOG = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).parent / "db" / "migrations"
API = Api("volume", ROUTES, cinder_error, VERSIONS)


def backup_store(state: VolumeState) -> PosixStore:
    opts = state.options
    root = Path(opts.backup_posix_path or state.data_dir / "backups")
    return PosixStore(root, int(opts.backup_chunk_size), str(opts.backup_compression_algorithm))


class VolumeService(Service[VolumeState]):
    """Block storage's processes that share a database: all of them for `up`."""

    name = "volume"
    section = "volume"
    schema = Schema(Base.metadata, MIGRATIONS)
    apis = (API,)
    roles: ClassVar[tuple[str, ...]] = ("scheduler", "manager", "api")

    def __init__(self, runtime: Runtime) -> None:
        super().__init__(runtime)
        self.managers: list[VolumeManager] = []
        self.managers_ready: asyncio.Task[None] | None = None

    def policy_rules(self) -> list[RuleDefault]:
        return policies.rules()

    def port_options(self) -> list[str]:
        return ["port"] if "api" in self.roles else []

    async def build_state(self) -> VolumeState:
        rt = self.runtime
        opts = rt.conf.volume
        state = VolumeState(
            conf=rt.conf,
            db=self.database,
            rpc=VolumeRpc(self.bus, timeout=float(opts.rpc_timeout), service=self.name),
            auth=service_auth(rt.data_dir, rt.url("identity", "/v3")),
            data_dir=rt.data_dir,
            enforcer=self.enforcer,
        )
        state.extra["backup_store"] = backup_store(state)
        self.on_stop("volume HTTP clients", state.close)
        await types.ensure_default(self.database, str(opts.default_volume_type))
        return state

    async def serve(self) -> None:
        if "scheduler" in self.roles:
            await self._serve_scheduler()
        if "manager" in self.roles:
            await self._serve_managers()
        if "api" in self.roles:
            for api in self.apis:
                await self.serve_api(api)

    async def _serve_scheduler(self) -> None:
        state = self.state
        await self.serve_rpc(SCHEDULER, SchedulerManager(state), max_concurrency=256)
        host, zone = self.runtime.host, str(state.options.storage_availability_zone)

        async def beat() -> None:
            await services.heartbeat(
                state.db, host=host, binary=services.SCHEDULER, topic=SCHEDULER, zone=zone
            )
            await user_messages.expire(state.db)

        await beat()
        self.every("volume scheduler heartbeat", float(state.options.report_interval), beat)
        # Managers already running report at once rather than at their next interval.
        await state.rpc.fanout_managers(RequestContext.admin(), PublishCapacity())

    async def _serve_managers(self) -> None:
        """Start each backend's manager in the background (``managers_ready``).

        Reconciling what a stop left half done takes a moment, and nothing needs to
        wait for it: the API answers meanwhile, and the scheduler holds new volumes
        until a manager reports. Bad backend settings still fail the start at once.
        """
        state = self.state
        host = self.runtime.host
        store = state.extra["backup_store"]
        built = [
            VolumeManager(state, backends.load(opts, host), host, store)
            for opts in (
                backend_options(self.runtime.conf, name, self.runtime.data_dir)
                for name in state.options.enabled_backends
            )
        ]
        self.managers_ready = asyncio.create_task(self._start_managers(built))
        self.on_stop("volume managers' start", self._cancel_start)

    async def _start_managers(self, built: list[VolumeManager]) -> None:
        for manager in built:
            try:
                await self._start_manager(manager)
            except Exception:
                LOG.exception("volume manager %s could not start", manager.topic_host)

    async def _start_manager(self, manager: VolumeManager) -> None:
        await manager.start()
        self.on_stop(f"volume manager {manager.topic_host}", manager.stop)
        await self.serve_rpc(MANAGER, manager, host=manager.topic_host)
        await manager.report()
        self.every(
            f"volume manager {manager.topic_host} report",
            float(self.state.options.report_interval),
            manager.report,
        )
        self.managers.append(manager)

    async def _cancel_start(self) -> None:
        task = self.managers_ready
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


class VolumeApiService(VolumeService):
    name = "volume-api"
    roles = ("api",)


class VolumeSchedulerService(VolumeService):
    name = "volume-scheduler"
    roles = ("scheduler",)


class VolumeManagerService(VolumeService):
    name = "volume-manager"
    roles = ("manager",)
