"""Routers, their ports and extra routes, floating IPs, and auto-allocated topologies.

A router's external gateway is a port (``gw_port_id``, device owner
``network:router_gateway``) on an external network; its fixed IPs are the router's
external addresses. Interfaces are ports too, listed in ``routerports`` with their type.
A floating IP owns a port on the external network (``floating_port_id``) and points at
one fixed address of one internal port.
"""

from __future__ import annotations

from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from nimbostack.network.db.models.base import CIDR, IP, PROJECT, UUID, Base, Owned


class Router(Owned, Base):
    __tablename__ = "routers"
    status: Mapped[str] = mapped_column(String(16), default="ACTIVE")
    admin_state_up: Mapped[bool] = mapped_column(Boolean, default=True)
    gw_port_id: Mapped[str | None] = mapped_column(ForeignKey("ports.id"), index=True)
    enable_snat: Mapped[bool] = mapped_column(Boolean, default=True)
    distributed: Mapped[bool] = mapped_column(Boolean, default=False)
    ha: Mapped[bool] = mapped_column(Boolean, default=False)
    availability_zone_hints: Mapped[list[str]] = mapped_column(default=list)
    flavor_id: Mapped[str | None] = mapped_column(UUID)


class RouterPort(Base):
    __tablename__ = "routerports"
    router_id: Mapped[str] = mapped_column(
        ForeignKey("routers.id", ondelete="CASCADE"), primary_key=True
    )
    port_id: Mapped[str] = mapped_column(
        ForeignKey("ports.id", ondelete="CASCADE"), primary_key=True, unique=True
    )
    port_type: Mapped[str] = mapped_column(String(255))


class RouterRoute(Base):
    __tablename__ = "routerroutes"
    router_id: Mapped[str] = mapped_column(
        ForeignKey("routers.id", ondelete="CASCADE"), primary_key=True
    )
    destination: Mapped[str] = mapped_column(CIDR, primary_key=True)
    nexthop: Mapped[str] = mapped_column(IP, primary_key=True)


class FloatingIP(Owned, Base):
    __tablename__ = "floatingips"
    __table_args__ = (
        UniqueConstraint(
            "floating_network_id",
            "fixed_port_id",
            "fixed_ip_address",
            name="uniq_floatingips_fixed_address",
        ),
    )
    floating_ip_address: Mapped[str] = mapped_column(IP)
    floating_network_id: Mapped[str] = mapped_column(ForeignKey("networks.id"), index=True)
    floating_port_id: Mapped[str] = mapped_column(
        ForeignKey("ports.id", ondelete="CASCADE"), unique=True
    )
    fixed_port_id: Mapped[str | None] = mapped_column(ForeignKey("ports.id"), index=True)
    fixed_ip_address: Mapped[str | None] = mapped_column(IP)
    router_id: Mapped[str | None] = mapped_column(ForeignKey("routers.id"), index=True)
    last_known_router_id: Mapped[str | None] = mapped_column(UUID)
    status: Mapped[str] = mapped_column(String(16), default="DOWN")
    dns_name: Mapped[str] = mapped_column(String(255), default="")
    dns_domain: Mapped[str] = mapped_column(String(255), default="")


class AutoAllocatedTopology(Base):
    __tablename__ = "auto_allocated_topologies"
    project_id: Mapped[str] = mapped_column(PROJECT, primary_key=True)
    network_id: Mapped[str] = mapped_column(ForeignKey("networks.id", ondelete="CASCADE"))
    router_id: Mapped[str | None] = mapped_column(ForeignKey("routers.id", ondelete="SET NULL"))


class RouterL3AgentBinding(Base):
    __tablename__ = "routerl3agentbindings"
    __table_args__ = (UniqueConstraint("router_id", "binding_index"),)
    router_id: Mapped[str] = mapped_column(
        ForeignKey("routers.id", ondelete="CASCADE"), primary_key=True
    )
    l3_agent_id: Mapped[str] = mapped_column(
        ForeignKey("agents.id", ondelete="CASCADE"), primary_key=True
    )
    binding_index: Mapped[int] = mapped_column(Integer, default=1)
