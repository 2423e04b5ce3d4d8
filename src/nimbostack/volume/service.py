"""Runs block storage: the API, the scheduler, and one manager per enabled backend.

``VolumeService`` ("volume") runs them all for `nimbostack up`; the role services run
one each for `nimbostack serve volume-api | volume-scheduler | volume-manager`. They
share the database and talk over the bus of ``[DEFAULT] transport_url``.
"""

from __future__ import annotations

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
        state = self.state
        host = self.runtime.host
        store = state.extra["backup_store"]
        for name in state.options.enabled_backends:
            opts = backend_options(self.runtime.conf, name, self.runtime.data_dir)
            manager = VolumeManager(state, backends.load(opts, host), host, store)
            await manager.start()
            self.on_stop(f"volume manager {manager.topic_host}", manager.stop)
            await self.serve_rpc(MANAGER, manager, host=manager.topic_host)
            # Reported before the API serves: the scheduler can place volumes at once.
            await manager.report()
            self.every(
                f"volume manager {manager.topic_host} report",
                float(state.options.report_interval),
                manager.report,
            )
            self.managers.append(manager)


class VolumeApiService(VolumeService):
    name = "volume-api"
    roles = ("api",)


class VolumeSchedulerService(VolumeService):
    name = "volume-scheduler"
    roles = ("scheduler",)


class VolumeManagerService(VolumeService):
    name = "volume-manager"
    roles = ("manager",)
