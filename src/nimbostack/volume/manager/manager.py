"""A backend's manager: the RPC endpoint on ``volume.manager.<host>@<backend>``.

It only dispatches: each workflow lives in a module of its own (create, delete,
extend, snapshot, backup, restore, export, upload, migrate), and ``start`` reconciles
what a crash left half done before any message is taken.
"""

from __future__ import annotations

from typing import Any

from nimbostack.core.context import RequestContext
from nimbostack.core.rpc import handles
from nimbostack.volume.backends.base import Backend
from nimbostack.volume.backup.posix import PosixStore
from nimbostack.volume.manager import (
    backup,
    capacity,
    create,
    delete,
    export,
    extend,
    migrate,
    reconcile,
    restore,
    snapshot,
    upload,
)
from nimbostack.volume.manager.host import BackendHost
from nimbostack.volume.messages import (
    CompleteExtend,
    CreateBackup,
    CreateSnapshot,
    CreateVolume,
    DeleteBackup,
    DeleteSnapshot,
    DeleteVolume,
    ExportVolume,
    ExtendVolume,
    FinishMigrationTarget,
    MigrateVolume,
    PrepareMigrationTarget,
    PublishCapacity,
    RestoreBackup,
    RetypeVolume,
    UnexportVolume,
    UploadToImage,
)
from nimbostack.volume.state import VolumeState


class VolumeManager:
    """Runs one backend for this host."""

    def __init__(self, state: VolumeState, backend: Backend, host: str, store: PosixStore) -> None:
        self.host = BackendHost(state, backend, host)
        self.runtime_host = host
        self.store = store

    @property
    def topic_host(self) -> str:
        """``<host>@<backend>``: the host part of this manager's topic."""
        return self.host.name

    async def start(self) -> None:
        await self.host.backend.start()
        await reconcile.reconcile(self.host, self.store)

    async def stop(self) -> None:
        await self.host.backend.stop()

    async def report(self) -> None:
        await capacity.report(self.host, self.runtime_host)

    @handles(PublishCapacity)
    async def publish_capacity(self, ctxt: RequestContext, msg: PublishCapacity) -> None:
        await self.report()

    @handles(CreateVolume)
    async def create_volume(self, ctxt: RequestContext, msg: CreateVolume) -> None:
        await create.create_volume(self.host, ctxt, msg.spec)

    @handles(DeleteVolume)
    async def delete_volume(self, ctxt: RequestContext, msg: DeleteVolume) -> None:
        await delete.delete_volume(self.host, ctxt, msg.volume_id)

    @handles(ExtendVolume)
    async def extend_volume(self, ctxt: RequestContext, msg: ExtendVolume) -> None:
        await extend.extend_volume(self.host, ctxt, msg.volume_id)

    @handles(CompleteExtend)
    async def complete_extend(self, ctxt: RequestContext, msg: CompleteExtend) -> None:
        await extend.complete_extend(self.host, ctxt, msg.volume_id, msg.error)

    @handles(CreateSnapshot)
    async def create_snapshot(self, ctxt: RequestContext, msg: CreateSnapshot) -> None:
        await snapshot.create_snapshot(self.host, ctxt, msg.snapshot_id)

    @handles(DeleteSnapshot)
    async def delete_snapshot(self, ctxt: RequestContext, msg: DeleteSnapshot) -> None:
        await snapshot.delete_snapshot(self.host, ctxt, msg.snapshot_id)

    @handles(CreateBackup)
    async def create_backup(self, ctxt: RequestContext, msg: CreateBackup) -> None:
        await backup.create_backup(self.host, self.store, ctxt, msg.backup_id)

    @handles(DeleteBackup)
    async def delete_backup(self, ctxt: RequestContext, msg: DeleteBackup) -> None:
        await backup.delete_backup(self.host, self.store, ctxt, msg.backup_id)

    @handles(RestoreBackup)
    async def restore_backup(self, ctxt: RequestContext, msg: RestoreBackup) -> None:
        await restore.restore_backup(self.host, ctxt, msg.backup_id, msg.volume_id)

    @handles(ExportVolume)
    async def export_volume(self, ctxt: RequestContext, msg: ExportVolume) -> dict[str, Any]:
        return await export.export_volume(self.host, ctxt, msg)

    @handles(UnexportVolume)
    async def unexport_volume(self, ctxt: RequestContext, msg: UnexportVolume) -> None:
        await export.unexport_volume(self.host, ctxt, msg)

    @handles(UploadToImage)
    async def upload_to_image(self, ctxt: RequestContext, msg: UploadToImage) -> None:
        await upload.upload_to_image(self.host, ctxt, msg)

    @handles(RetypeVolume)
    async def retype_volume(self, ctxt: RequestContext, msg: RetypeVolume) -> None:
        await migrate.retype_volume(self.host, ctxt, msg)

    @handles(MigrateVolume)
    async def migrate_volume(self, ctxt: RequestContext, msg: MigrateVolume) -> None:
        await migrate.migrate_volume(self.host, ctxt, msg)

    @handles(PrepareMigrationTarget)
    async def prepare_migration_target(
        self, ctxt: RequestContext, msg: PrepareMigrationTarget
    ) -> dict[str, Any]:
        return await migrate.prepare_target(self.host, ctxt, msg)

    @handles(FinishMigrationTarget)
    async def finish_migration_target(
        self, ctxt: RequestContext, msg: FinishMigrationTarget
    ) -> None:
        await migrate.finish_target(self.host, ctxt, msg)
