"""Networks, their segments, and the ML2 tables of segmentation ids in use.

VLAN and VXLAN ids have one row per id of the configured ranges with an ``allocated``
flag, so taking a free id is one conditional UPDATE; ids outside the ranges (given by
an admin for a provider network) get a row only while allocated. A flat physical
network carries one network at most: its row exists while it is taken.
"""

from __future__ import annotations

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from nimbostack.network.db.models.base import UUID, Base, Owned, StandardAttrs


class Network(Owned, Base):
    __tablename__ = "networks"
    status: Mapped[str] = mapped_column(String(16), default="ACTIVE")
    admin_state_up: Mapped[bool] = mapped_column(Boolean, default=True)
    mtu: Mapped[int] = mapped_column(Integer, default=1500)
    port_security_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    router_external: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    # The external network auto-allocated topologies attach to (one per cloud).
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    availability_zone_hints: Mapped[list[str]] = mapped_column(default=list)
    dns_domain: Mapped[str] = mapped_column(String(255), default="")


class NetworkSegment(StandardAttrs, Base):
    __tablename__ = "network_segments"
    __table_args__ = (Index("ix_network_segments_network", "network_id", "segment_index"),)
    id: Mapped[str] = mapped_column(UUID, primary_key=True)
    network_id: Mapped[str] = mapped_column(ForeignKey("networks.id", ondelete="CASCADE"))
    network_type: Mapped[str] = mapped_column(String(32))
    physical_network: Mapped[str | None] = mapped_column(String(64))
    segmentation_id: Mapped[int | None] = mapped_column(Integer)
    segment_index: Mapped[int] = mapped_column(Integer, default=0)
    # Bound on demand by a mechanism driver (hierarchical port binding), not by the API.
    is_dynamic: Mapped[bool] = mapped_column(Boolean, default=False)
    name: Mapped[str | None] = mapped_column(String(255))


class VlanAllocation(Base):
    __tablename__ = "ml2_vlan_allocations"
    __table_args__ = (Index("ix_ml2_vlan_allocations_free", "physical_network", "allocated"),)
    physical_network: Mapped[str] = mapped_column(String(64), primary_key=True)
    vlan_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    allocated: Mapped[bool] = mapped_column(Boolean, default=False)


class VxlanAllocation(Base):
    __tablename__ = "ml2_vxlan_allocations"
    vxlan_vni: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    allocated: Mapped[bool] = mapped_column(Boolean, default=False, index=True)


class FlatAllocation(Base):
    __tablename__ = "ml2_flat_allocations"
    physical_network: Mapped[str] = mapped_column(String(64), primary_key=True)


__all__ = ["FlatAllocation", "Network", "NetworkSegment", "VlanAllocation", "VxlanAllocation"]
