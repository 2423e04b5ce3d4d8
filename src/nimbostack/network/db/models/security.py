"""Security groups, their rules, the ports bound to them, and address groups.

``DefaultSecurityGroup`` has one row per project: its primary key makes "exactly one
default group per project" a property of the schema, not of the code that creates it.
A group bound to a port cannot be deleted (RESTRICT): the API answers 409 first.
"""

from __future__ import annotations

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from nimbostack.network.db.models.base import CIDR, PROJECT, UUID, Base, Owned, StandardAttrs


class SecurityGroup(Owned, Base):
    __tablename__ = "securitygroups"
    stateful: Mapped[bool] = mapped_column(Boolean, default=True)


class DefaultSecurityGroup(Base):
    __tablename__ = "default_security_group"
    project_id: Mapped[str] = mapped_column(PROJECT, primary_key=True)
    security_group_id: Mapped[str] = mapped_column(
        ForeignKey("securitygroups.id", ondelete="CASCADE"), unique=True
    )


class SecurityGroupRule(StandardAttrs, Base):
    __tablename__ = "securitygrouprules"
    id: Mapped[str] = mapped_column(UUID, primary_key=True)
    project_id: Mapped[str] = mapped_column(PROJECT, index=True)
    security_group_id: Mapped[str] = mapped_column(
        ForeignKey("securitygroups.id", ondelete="CASCADE"), index=True
    )
    remote_group_id: Mapped[str | None] = mapped_column(
        ForeignKey("securitygroups.id", ondelete="CASCADE"), index=True
    )
    remote_address_group_id: Mapped[str | None] = mapped_column(
        ForeignKey("address_groups.id", ondelete="RESTRICT"), index=True
    )
    direction: Mapped[str] = mapped_column(String(16))
    ethertype: Mapped[str] = mapped_column(String(40))
    protocol: Mapped[str | None] = mapped_column(String(40))
    port_range_min: Mapped[int | None] = mapped_column(Integer)
    port_range_max: Mapped[int | None] = mapped_column(Integer)
    remote_ip_prefix: Mapped[str | None] = mapped_column(String(255))


class SecurityGroupPortBinding(Base):
    __tablename__ = "securitygroupportbindings"
    port_id: Mapped[str] = mapped_column(
        ForeignKey("ports.id", ondelete="CASCADE"), primary_key=True
    )
    security_group_id: Mapped[str] = mapped_column(
        ForeignKey("securitygroups.id", ondelete="RESTRICT"), primary_key=True, index=True
    )


class AddressGroup(Owned, Base):
    __tablename__ = "address_groups"


class AddressGroupAddress(Base):
    __tablename__ = "address_group_addresses"
    address_group_id: Mapped[str] = mapped_column(
        ForeignKey("address_groups.id", ondelete="CASCADE"), primary_key=True
    )
    address: Mapped[str] = mapped_column(CIDR, primary_key=True)
