"""Block storage tables: volumes and their attachments, snapshots, backups, types, quotas.

Timestamps are epoch seconds (floats). Deleted resources are deleted rows: quota usage is
summed from what exists, so it cannot drift from it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

UUID = String(36)


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class Volume(Base):
    """A volume. ``host`` is ``<host>@<backend>#<pool>`` once scheduled.

    ``pending_size`` holds the size an extend in progress grows to: quota counts it,
    so the extra GiB are reserved until the extend ends. ``previous_status`` is the
    status to return to when a transitional one (uploading, backing-up) ends.
    """

    __tablename__ = "volumes"
    __table_args__ = (
        Index("ix_volumes_project", "project_id"),
        Index("ix_volumes_host", "host"),
        Index("ix_volumes_created", "created_at", "id"),
    )
    id: Mapped[str] = mapped_column(UUID, primary_key=True)
    project_id: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str | None] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)
    size: Mapped[int] = mapped_column(Integer)
    pending_size: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(32))
    previous_status: Mapped[str | None] = mapped_column(String(32))
    attach_status: Mapped[str] = mapped_column(String(32), default="detached")
    migration_status: Mapped[str | None] = mapped_column(String(32))
    availability_zone: Mapped[str] = mapped_column(String(255))
    host: Mapped[str | None] = mapped_column(String(255))
    volume_type_id: Mapped[str] = mapped_column(ForeignKey("volume_types.id"))
    snapshot_id: Mapped[str | None] = mapped_column(UUID)
    source_volid: Mapped[str | None] = mapped_column(UUID)
    bootable: Mapped[bool] = mapped_column(Boolean, default=False)
    multiattach: Mapped[bool] = mapped_column(Boolean, default=False)
    readonly: Mapped[bool] = mapped_column(Boolean, default=False)
    encryption_key_id: Mapped[str | None] = mapped_column(UUID)
    provider_location: Mapped[str | None] = mapped_column(String(255))
    use_quota: Mapped[bool] = mapped_column(Boolean, default=True)
    service_uuid: Mapped[str | None] = mapped_column(UUID)
    created_at: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[float | None] = mapped_column(Float)
    launched_at: Mapped[float | None] = mapped_column(Float)


class VolumeMetadata(Base):
    """User metadata of a volume, one row per key (filters run in SQL)."""

    __tablename__ = "volume_metadata"
    volume_id: Mapped[str] = mapped_column(
        ForeignKey("volumes.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    value: Mapped[str] = mapped_column(String(255))


class VolumeImageMetadata(Base):
    """``volume_image_metadata``: properties of the image a volume was made from."""

    __tablename__ = "volume_image_metadata"
    volume_id: Mapped[str] = mapped_column(
        ForeignKey("volumes.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class Attachment(Base):
    """A volume's attachment to a server (or a reservation for one).

    ``attach_status``: reserved (no connector yet), attaching (connector given,
    not complete), attached, detaching, error_attaching, error_detaching.
    """

    __tablename__ = "volume_attachments"
    __table_args__ = (Index("ix_volume_attachments_volume", "volume_id"),)
    id: Mapped[str] = mapped_column(UUID, primary_key=True)
    volume_id: Mapped[str] = mapped_column(ForeignKey("volumes.id", ondelete="CASCADE"))
    project_id: Mapped[str] = mapped_column(String(64))
    instance_uuid: Mapped[str | None] = mapped_column(UUID)
    attached_host: Mapped[str | None] = mapped_column(String(255))
    mountpoint: Mapped[str | None] = mapped_column(String(255))
    attach_status: Mapped[str] = mapped_column(String(32))
    attach_mode: Mapped[str] = mapped_column(String(8), default="rw")
    connector: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    connection_info: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    attach_time: Mapped[float | None] = mapped_column(Float)
    detach_time: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[float | None] = mapped_column(Float)


class Snapshot(Base):
    """A point-in-time copy of a volume, kept on the volume's backend."""

    __tablename__ = "snapshots"
    __table_args__ = (
        Index("ix_snapshots_project", "project_id"),
        Index("ix_snapshots_volume", "volume_id"),
    )
    id: Mapped[str] = mapped_column(UUID, primary_key=True)
    volume_id: Mapped[str] = mapped_column(ForeignKey("volumes.id"))
    project_id: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str | None] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(32))
    progress: Mapped[str] = mapped_column(String(16), default="0%")
    volume_size: Mapped[int] = mapped_column(Integer)
    volume_type_id: Mapped[str | None] = mapped_column(UUID)
    provider_location: Mapped[str | None] = mapped_column(String(255))
    use_quota: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[float | None] = mapped_column(Float)


class SnapshotMetadata(Base):
    __tablename__ = "snapshot_metadata"
    snapshot_id: Mapped[str] = mapped_column(
        ForeignKey("snapshots.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    value: Mapped[str] = mapped_column(String(255))


class Backup(Base):
    """A backup of a volume in the backup store; incremental ones name their parent.

    ``host`` is the backend host whose manager wrote it (and deletes it).
    """

    __tablename__ = "backups"
    __table_args__ = (
        Index("ix_backups_project", "project_id"),
        Index("ix_backups_parent", "parent_id"),
    )
    id: Mapped[str] = mapped_column(UUID, primary_key=True)
    project_id: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[str] = mapped_column(String(64))
    volume_id: Mapped[str] = mapped_column(UUID)
    snapshot_id: Mapped[str | None] = mapped_column(UUID)
    name: Mapped[str | None] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(32))
    fail_reason: Mapped[str | None] = mapped_column(Text)
    size: Mapped[int] = mapped_column(Integer)
    object_count: Mapped[int] = mapped_column(Integer, default=0)
    container: Mapped[str | None] = mapped_column(String(255))
    availability_zone: Mapped[str | None] = mapped_column(String(255))
    host: Mapped[str | None] = mapped_column(String(255))
    parent_id: Mapped[str | None] = mapped_column(UUID)
    is_incremental: Mapped[bool] = mapped_column(Boolean, default=False)
    data_timestamp: Mapped[float] = mapped_column(Float)
    restore_volume_id: Mapped[str | None] = mapped_column(UUID)
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", default=dict)
    created_at: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[float | None] = mapped_column(Float)


class Transfer(Base):
    """A pending transfer of a volume to another project, accepted with its auth key."""

    __tablename__ = "transfers"
    id: Mapped[str] = mapped_column(UUID, primary_key=True)
    volume_id: Mapped[str] = mapped_column(ForeignKey("volumes.id", ondelete="CASCADE"))
    name: Mapped[str | None] = mapped_column(String(255))
    salt: Mapped[str] = mapped_column(String(255))
    crypt_hash: Mapped[str] = mapped_column(String(255))
    source_project_id: Mapped[str] = mapped_column(String(64))
    destination_project_id: Mapped[str | None] = mapped_column(String(64))
    accepted: Mapped[bool] = mapped_column(Boolean, default=False)
    no_snapshots: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[float | None] = mapped_column(Float)


class QosSpecs(Base):
    """A named set of QoS keys (``total_iops_sec``...) for the front end, back end or both."""

    __tablename__ = "qos_specs"
    id: Mapped[str] = mapped_column(UUID, primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    consumer: Mapped[str] = mapped_column(String(16), default="back-end")
    created_at: Mapped[float] = mapped_column(Float)


class QosSpecValue(Base):
    __tablename__ = "qos_spec_values"
    qos_id: Mapped[str] = mapped_column(
        ForeignKey("qos_specs.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    value: Mapped[str] = mapped_column(String(255))


class VolumeType(Base):
    """A volume type: extra specs choose the backend (``volume_backend_name``)."""

    __tablename__ = "volume_types"
    id: Mapped[str] = mapped_column(UUID, primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    description: Mapped[str | None] = mapped_column(String(255))
    is_public: Mapped[bool] = mapped_column(Boolean, default=True)
    qos_specs_id: Mapped[str | None] = mapped_column(ForeignKey("qos_specs.id"))
    created_at: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[float | None] = mapped_column(Float)


class VolumeTypeExtraSpec(Base):
    __tablename__ = "volume_type_extra_specs"
    type_id: Mapped[str] = mapped_column(
        ForeignKey("volume_types.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    value: Mapped[str] = mapped_column(String(255))


class VolumeTypeProject(Base):
    """A project that may use a private volume type."""

    __tablename__ = "volume_type_projects"
    type_id: Mapped[str] = mapped_column(
        ForeignKey("volume_types.id", ondelete="CASCADE"), primary_key=True
    )
    project_id: Mapped[str] = mapped_column(String(64), primary_key=True)


class Quota(Base):
    """A project's (or, under ``class:<name>``, a quota class's) limit for one resource."""

    __tablename__ = "quotas"
    project_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    resource: Mapped[str] = mapped_column(String(255), primary_key=True)
    hard_limit: Mapped[int] = mapped_column(Integer)


class QuotaLock(Base):
    """One row per project, locked by every quota check so two checks take turns."""

    __tablename__ = "quota_locks"
    project_id: Mapped[str] = mapped_column(String(64), primary_key=True)


class Message(Base):
    """A user message: why an asynchronous request about a resource failed."""

    __tablename__ = "messages"
    __table_args__ = (Index("ix_messages_project", "project_id"),)
    id: Mapped[str] = mapped_column(UUID, primary_key=True)
    project_id: Mapped[str] = mapped_column(String(64))
    request_id: Mapped[str | None] = mapped_column(String(255))
    resource_type: Mapped[str | None] = mapped_column(String(64))
    resource_uuid: Mapped[str | None] = mapped_column(UUID)
    event_id: Mapped[str] = mapped_column(String(255))
    message_level: Mapped[str] = mapped_column(String(16), default="ERROR")
    user_message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[float] = mapped_column(Float)
    expires_at: Mapped[float] = mapped_column(Float)


class Service(Base):
    """A block storage process on a host: cinder-scheduler, cinder-volume, cinder-backup.

    ``updated_at`` is its last heartbeat; ``capabilities`` the last capacity report.
    """

    __tablename__ = "services"
    __table_args__ = (UniqueConstraint("host", "binary"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uuid: Mapped[str] = mapped_column(UUID)
    host: Mapped[str] = mapped_column(String(255))
    binary: Mapped[str] = mapped_column(String(64))
    topic: Mapped[str] = mapped_column(String(255))
    availability_zone: Mapped[str] = mapped_column(String(255))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    disabled_reason: Mapped[str | None] = mapped_column(String(255))
    frozen: Mapped[bool] = mapped_column(Boolean, default=False)
    backend_state: Mapped[str | None] = mapped_column(String(16))
    capabilities: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[float | None] = mapped_column(Float)


class ImageCacheEntry(Base):
    """An image already converted on one backend: new volumes of it are cheap copies.

    The entry is a volume of the backend's own (``id``) that no project sees;
    ``image_updated_at`` tells a stale entry (the image changed) from a good one.
    """

    __tablename__ = "image_volume_cache"
    __table_args__ = (UniqueConstraint("host", "image_id"),)
    id: Mapped[str] = mapped_column(UUID, primary_key=True)
    host: Mapped[str] = mapped_column(String(255))
    image_id: Mapped[str] = mapped_column(UUID)
    image_updated_at: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    provider_location: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[float] = mapped_column(Float)
    last_used: Mapped[float] = mapped_column(Float)
