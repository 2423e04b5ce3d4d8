"""Subnets (with their pools, DNS servers and routes), subnet pools, and IP allocations.

``IPAllocation`` is unique per (subnet, address): two ports can never hold one address,
whatever the code above does. ``Subnet.next_ip`` is where the allocator resumes
(next-fit), so a create usually finds a free address with its first probe.
"""

from __future__ import annotations

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from nimbostack.network.db.models.base import CIDR, IP, UUID, Base, Owned


class Subnet(Owned, Base):
    __tablename__ = "subnets"
    network_id: Mapped[str] = mapped_column(
        ForeignKey("networks.id", ondelete="CASCADE"), index=True
    )
    ip_version: Mapped[int] = mapped_column(Integer)
    cidr: Mapped[str] = mapped_column(CIDR)
    gateway_ip: Mapped[str | None] = mapped_column(IP)
    enable_dhcp: Mapped[bool] = mapped_column(Boolean, default=True)
    ipv6_ra_mode: Mapped[str | None] = mapped_column(String(16))
    ipv6_address_mode: Mapped[str | None] = mapped_column(String(16))
    subnetpool_id: Mapped[str | None] = mapped_column(
        ForeignKey("subnetpools.id", ondelete="RESTRICT"), index=True
    )
    segment_id: Mapped[str | None] = mapped_column(
        ForeignKey("network_segments.id", ondelete="SET NULL")
    )
    next_ip: Mapped[str | None] = mapped_column(IP)


class AllocationPool(Base):
    __tablename__ = "subnet_allocation_pools"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    subnet_id: Mapped[str] = mapped_column(ForeignKey("subnets.id", ondelete="CASCADE"), index=True)
    first_ip: Mapped[str] = mapped_column(IP)
    last_ip: Mapped[str] = mapped_column(IP)


class DnsNameServer(Base):
    __tablename__ = "subnet_dns_nameservers"
    subnet_id: Mapped[str] = mapped_column(
        ForeignKey("subnets.id", ondelete="CASCADE"), primary_key=True
    )
    address: Mapped[str] = mapped_column(String(128), primary_key=True)
    order: Mapped[int] = mapped_column(Integer, default=0)


class SubnetRoute(Base):
    __tablename__ = "subnet_routes"
    subnet_id: Mapped[str] = mapped_column(
        ForeignKey("subnets.id", ondelete="CASCADE"), primary_key=True
    )
    destination: Mapped[str] = mapped_column(CIDR, primary_key=True)
    nexthop: Mapped[str] = mapped_column(IP, primary_key=True)


class SubnetPool(Owned, Base):
    __tablename__ = "subnetpools"
    ip_version: Mapped[int] = mapped_column(Integer)
    default_prefixlen: Mapped[int] = mapped_column(Integer)
    min_prefixlen: Mapped[int] = mapped_column(Integer)
    max_prefixlen: Mapped[int] = mapped_column(Integer)
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    default_quota: Mapped[int | None] = mapped_column(Integer)
    address_scope_id: Mapped[str | None] = mapped_column(UUID)


class SubnetPoolPrefix(Base):
    __tablename__ = "subnetpool_prefixes"
    subnetpool_id: Mapped[str] = mapped_column(
        ForeignKey("subnetpools.id", ondelete="CASCADE"), primary_key=True
    )
    cidr: Mapped[str] = mapped_column(CIDR, primary_key=True)


class IPAllocation(Base):
    __tablename__ = "ipallocations"
    # A port's addresses read in (subnet, address) order straight from the index.
    __table_args__ = (Index("ix_ipallocations_port", "port_id", "subnet_id", "ip_address"),)
    subnet_id: Mapped[str] = mapped_column(
        ForeignKey("subnets.id", ondelete="CASCADE"), primary_key=True
    )
    ip_address: Mapped[str] = mapped_column(IP, primary_key=True)
    port_id: Mapped[str] = mapped_column(ForeignKey("ports.id", ondelete="CASCADE"))
    network_id: Mapped[str] = mapped_column(UUID, index=True)
