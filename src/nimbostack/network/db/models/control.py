"""RBAC entries, agents and their network bindings, quotas, tags, and named locks.

``Lock`` rows serialise read-then-write work that has no natural row to lock on
PostgreSQL (a project's quota usage, its default security group, the default subnet
pool of an IP version): the work takes ``SELECT ... FOR UPDATE`` on its lock's row.
On SQLite every write transaction already runs alone.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from nimbostack.network.db.models.base import PROJECT, UUID, Base


class RbacEntry(Base):
    """One grant: ``object_type`` ``object_id`` is ``action`` for ``target_project``."""

    __tablename__ = "rbac_entries"
    __table_args__ = (
        UniqueConstraint("object_type", "object_id", "action", "target_project"),
        Index("ix_rbac_entries_target", "object_type", "target_project", "action"),
    )
    id: Mapped[str] = mapped_column(UUID, primary_key=True)
    project_id: Mapped[str] = mapped_column(PROJECT, index=True)
    object_type: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[str] = mapped_column(UUID, index=True)
    action: Mapped[str] = mapped_column(String(255))
    target_project: Mapped[str] = mapped_column(PROJECT)


class Agent(Base):
    __tablename__ = "agents"
    __table_args__ = (UniqueConstraint("agent_type", "host"),)
    id: Mapped[str] = mapped_column(UUID, primary_key=True)
    agent_type: Mapped[str] = mapped_column(String(255))
    binary: Mapped[str] = mapped_column(String(255))
    topic: Mapped[str] = mapped_column(String(255))
    host: Mapped[str] = mapped_column(String(255), index=True)
    availability_zone: Mapped[str | None] = mapped_column(String(255))
    admin_state_up: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[float] = mapped_column(Float)
    started_at: Mapped[float] = mapped_column(Float)
    heartbeat_timestamp: Mapped[float] = mapped_column(Float)
    description: Mapped[str] = mapped_column(String(255), default="")
    configurations: Mapped[dict[str, Any]] = mapped_column(default=dict)
    resources_synced: Mapped[bool | None] = mapped_column(Boolean)
    load: Mapped[int] = mapped_column(Integer, default=0)


class NetworkDhcpAgentBinding(Base):
    __tablename__ = "networkdhcpagentbindings"
    network_id: Mapped[str] = mapped_column(
        ForeignKey("networks.id", ondelete="CASCADE"), primary_key=True
    )
    dhcp_agent_id: Mapped[str] = mapped_column(
        ForeignKey("agents.id", ondelete="CASCADE"), primary_key=True
    )


class Quota(Base):
    __tablename__ = "quotas"
    project_id: Mapped[str] = mapped_column(PROJECT, primary_key=True)
    resource: Mapped[str] = mapped_column(String(255), primary_key=True)
    limit: Mapped[int] = mapped_column(Integer)


class Tag(Base):
    __tablename__ = "tags"
    __table_args__ = (Index("ix_tags_tag", "resource_type", "tag"),)
    resource_type: Mapped[str] = mapped_column(String(32), primary_key=True)
    resource_id: Mapped[str] = mapped_column(UUID, primary_key=True)
    tag: Mapped[str] = mapped_column(String(255), primary_key=True)


class Lock(Base):
    __tablename__ = "locks"
    name: Mapped[str] = mapped_column(String(255), primary_key=True)
