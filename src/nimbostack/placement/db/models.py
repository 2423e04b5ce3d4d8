"""Placement's tables, as SQLAlchemy 2 typed mappings.

Providers, classes and traits use integer keys so the candidate queries join on
small integers; the API only ever shows uuids and names.
"""

from __future__ import annotations

from sqlalchemy import Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

UUID = String(36)


class Base(DeclarativeBase):
    pass


class ResourceClass(Base):
    __tablename__ = "resource_classes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    created_at: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[float] = mapped_column(Float)


class Trait(Base):
    __tablename__ = "traits"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    created_at: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[float] = mapped_column(Float)


class ResourceProvider(Base):
    __tablename__ = "resource_providers"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uuid: Mapped[str] = mapped_column(UUID, unique=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    generation: Mapped[int] = mapped_column(Integer, default=0)
    parent_provider_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("resource_providers.id"), index=True
    )
    root_provider_id: Mapped[int | None] = mapped_column(Integer, index=True)
    created_at: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[float] = mapped_column(Float)


class Inventory(Base):
    __tablename__ = "inventories"
    __table_args__ = (
        UniqueConstraint("resource_provider_id", "resource_class_id"),
        Index("ix_inventories_rc_rp", "resource_class_id", "resource_provider_id"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    resource_provider_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("resource_providers.id", ondelete="CASCADE")
    )
    resource_class_id: Mapped[int] = mapped_column(Integer, ForeignKey("resource_classes.id"))
    total: Mapped[int] = mapped_column(Integer)
    reserved: Mapped[int] = mapped_column(Integer, default=0)
    min_unit: Mapped[int] = mapped_column(Integer, default=1)
    max_unit: Mapped[int] = mapped_column(Integer)
    step_size: Mapped[int] = mapped_column(Integer, default=1)
    allocation_ratio: Mapped[float] = mapped_column(Float, default=1.0)


class Consumer(Base):
    __tablename__ = "consumers"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uuid: Mapped[str] = mapped_column(UUID, unique=True)
    project_id: Mapped[str] = mapped_column(String(255), index=True)
    user_id: Mapped[str] = mapped_column(String(255), index=True)
    consumer_type: Mapped[str | None] = mapped_column(String(255))
    generation: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[float] = mapped_column(Float)


class Allocation(Base):
    __tablename__ = "allocations"
    __table_args__ = (
        Index("ix_allocations_rp_rc", "resource_provider_id", "resource_class_id"),
        Index("ix_allocations_rc_rp", "resource_class_id", "resource_provider_id", "used"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    resource_provider_id: Mapped[int] = mapped_column(Integer, ForeignKey("resource_providers.id"))
    consumer_id: Mapped[str] = mapped_column(UUID, index=True)
    resource_class_id: Mapped[int] = mapped_column(Integer, ForeignKey("resource_classes.id"))
    used: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[float] = mapped_column(Float)


class ProviderAggregate(Base):
    __tablename__ = "provider_aggregates"
    __table_args__ = (Index("ix_provider_aggregates_uuid", "aggregate_uuid"),)
    resource_provider_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("resource_providers.id", ondelete="CASCADE"), primary_key=True
    )
    aggregate_uuid: Mapped[str] = mapped_column(UUID, primary_key=True)


class ProviderTrait(Base):
    __tablename__ = "provider_traits"
    __table_args__ = (Index("ix_provider_traits_trait", "trait_id"),)
    resource_provider_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("resource_providers.id", ondelete="CASCADE"), primary_key=True
    )
    trait_id: Mapped[int] = mapped_column(Integer, ForeignKey("traits.id"), primary_key=True)
