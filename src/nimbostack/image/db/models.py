"""The image service's tables, as SQLAlchemy 2 typed mappings."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Float, ForeignKey, Integer, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

ID = String(64)


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON}


class Image(Base):
    """One image record; custom properties live in ``properties`` as strings."""

    __tablename__ = "images"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    name: Mapped[str | None] = mapped_column(String(255), index=True)
    owner: Mapped[str | None] = mapped_column(ID, index=True)
    status: Mapped[str] = mapped_column(String(30), index=True)
    visibility: Mapped[str] = mapped_column(String(20), index=True)
    protected: Mapped[bool] = mapped_column(Boolean, default=False)
    os_hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    disk_format: Mapped[str | None] = mapped_column(String(20))
    container_format: Mapped[str | None] = mapped_column(String(20))
    size: Mapped[int | None] = mapped_column(BigInteger)
    virtual_size: Mapped[int | None] = mapped_column(BigInteger)
    checksum: Mapped[str | None] = mapped_column(String(32))
    os_hash_algo: Mapped[str | None] = mapped_column(String(64))
    os_hash_value: Mapped[str | None] = mapped_column(String(128))
    min_disk: Mapped[int] = mapped_column(Integer, default=0)
    min_ram: Mapped[int] = mapped_column(Integer, default=0)
    location: Mapped[str | None] = mapped_column(String(2048))
    properties: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[float] = mapped_column(Float, index=True)
    updated_at: Mapped[float] = mapped_column(Float)


class ImageTag(Base):
    __tablename__ = "image_tags"
    image_id: Mapped[str] = mapped_column(
        ID, ForeignKey("images.id", ondelete="CASCADE"), primary_key=True
    )
    value: Mapped[str] = mapped_column(String(255), primary_key=True, index=True)


class ImageMember(Base):
    """A project an image is shared with, and whether it accepted."""

    __tablename__ = "image_members"
    image_id: Mapped[str] = mapped_column(
        ID, ForeignKey("images.id", ondelete="CASCADE"), primary_key=True
    )
    member_id: Mapped[str] = mapped_column(ID, primary_key=True, index=True)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    created_at: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[float] = mapped_column(Float)


class ImageTask(Base):
    """One asynchronous job on an image (an import), shown by GET /v2/images/{id}/tasks."""

    __tablename__ = "image_tasks"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    image_id: Mapped[str] = mapped_column(ID, index=True)
    type: Mapped[str] = mapped_column(String(30))
    status: Mapped[str] = mapped_column(String(30))
    owner: Mapped[str | None] = mapped_column(ID)
    user_id: Mapped[str | None] = mapped_column(ID)
    request_id: Mapped[str | None] = mapped_column(String(64))
    input: Mapped[dict[str, Any]] = mapped_column(default=dict)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    message: Mapped[str] = mapped_column(String(2048), default="")
    created_at: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[float] = mapped_column(Float)


class MetadefNamespace(Base):
    """A metadata definition namespace: a catalog of properties, objects and tags."""

    __tablename__ = "metadef_namespaces"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    namespace: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str | None] = mapped_column(String(80))
    description: Mapped[str | None] = mapped_column(String(500))
    visibility: Mapped[str] = mapped_column(String(20))
    protected: Mapped[bool] = mapped_column(Boolean, default=False)
    owner: Mapped[str | None] = mapped_column(ID, index=True)
    created_at: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[float] = mapped_column(Float)


class _NamespaceItem:
    """Columns every named definition inside a namespace shares."""

    namespace_id: Mapped[str] = mapped_column(
        ID, ForeignKey("metadef_namespaces.id", ondelete="CASCADE"), primary_key=True
    )
    name: Mapped[str] = mapped_column(String(255), primary_key=True)
    body: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[float] = mapped_column(Float)


class MetadefObject(_NamespaceItem, Base):
    """An object definition; ``body`` holds description, required and properties."""

    __tablename__ = "metadef_objects"


class MetadefProperty(_NamespaceItem, Base):
    """A property definition; ``body`` holds its JSON-schema (title, type, enum...)."""

    __tablename__ = "metadef_properties"


class MetadefTag(_NamespaceItem, Base):
    """A tag definition (``body`` stays empty)."""

    __tablename__ = "metadef_tags"


class MetadefResourceType(Base):
    """A kind of resource namespaces apply to, such as ``OS::Glance::Image``."""

    __tablename__ = "metadef_resource_types"
    name: Mapped[str] = mapped_column(String(80), primary_key=True)
    protected: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[float] = mapped_column(Float)


class MetadefAssociation(Base):
    """A namespace applied to a resource type, with an optional property prefix."""

    __tablename__ = "metadef_namespace_resource_types"
    namespace_id: Mapped[str] = mapped_column(
        ID, ForeignKey("metadef_namespaces.id", ondelete="CASCADE"), primary_key=True
    )
    resource_type: Mapped[str] = mapped_column(
        String(80), ForeignKey("metadef_resource_types.name"), primary_key=True
    )
    prefix: Mapped[str | None] = mapped_column(String(80))
    properties_target: Mapped[str | None] = mapped_column(String(80))
    created_at: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[float] = mapped_column(Float)
