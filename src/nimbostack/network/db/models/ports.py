"""Ports and what hangs off them: bindings, provisioning blocks, address pairs, DHCP options.

A port has one binding per host: ``ACTIVE`` for the host it runs on and, during a live
migration, an ``INACTIVE`` one for the destination. An unbound port has one binding with
host ``""``. A provisioning block names a component (``L2``, ``DHCP``) that still has to
report the port ready before it may go ACTIVE.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from nimbostack.network.db.models.base import IP, Base, Owned


class Port(Owned, Base):
    __tablename__ = "ports"
    __table_args__ = (
        UniqueConstraint("network_id", "mac_address", name="uniq_ports_network_mac"),
        Index("ix_ports_device", "device_id", "device_owner"),
    )
    network_id: Mapped[str] = mapped_column(ForeignKey("networks.id", ondelete="CASCADE"))
    mac_address: Mapped[str] = mapped_column(String(32))
    admin_state_up: Mapped[bool] = mapped_column(Boolean, default=True)
    status: Mapped[str] = mapped_column(String(16), default="DOWN")
    device_id: Mapped[str] = mapped_column(String(255), default="")
    device_owner: Mapped[str] = mapped_column(String(255), default="")
    port_security_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    dns_name: Mapped[str] = mapped_column(String(255), default="")


class PortBinding(Base):
    __tablename__ = "port_bindings"
    port_id: Mapped[str] = mapped_column(
        ForeignKey("ports.id", ondelete="CASCADE"), primary_key=True
    )
    host: Mapped[str] = mapped_column(String(255), primary_key=True, default="")
    status: Mapped[str] = mapped_column(String(16), default="ACTIVE")
    vif_type: Mapped[str] = mapped_column(String(64), default="unbound")
    vif_details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    vnic_type: Mapped[str] = mapped_column(String(64), default="normal")
    profile: Mapped[dict[str, Any]] = mapped_column(default=dict)


class ProvisioningBlock(Base):
    __tablename__ = "provisioning_blocks"
    port_id: Mapped[str] = mapped_column(
        ForeignKey("ports.id", ondelete="CASCADE"), primary_key=True
    )
    entity: Mapped[str] = mapped_column(String(255), primary_key=True)


class AllowedAddressPair(Base):
    __tablename__ = "allowedaddresspairs"
    port_id: Mapped[str] = mapped_column(
        ForeignKey("ports.id", ondelete="CASCADE"), primary_key=True
    )
    mac_address: Mapped[str] = mapped_column(String(32), primary_key=True)
    ip_address: Mapped[str] = mapped_column(IP, primary_key=True)


class ExtraDhcpOpt(Base):
    __tablename__ = "extradhcpopts"
    port_id: Mapped[str] = mapped_column(
        ForeignKey("ports.id", ondelete="CASCADE"), primary_key=True
    )
    opt_name: Mapped[str] = mapped_column(String(64), primary_key=True)
    ip_version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    opt_value: Mapped[str] = mapped_column(String(255))
