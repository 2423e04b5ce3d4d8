"""The registry of services: how to build each one and where it sits in the catalog."""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from nimbostack.core.api.app import Route
from nimbostack.core.service import Runtime, Service


@dataclass(frozen=True)
class ServiceSpec:
    """One service: its class, its catalog type and name, its endpoint path and routes."""

    name: str
    target: str  # "module:Class"
    catalog_type: str | None  # None: not in the catalog (the console proxy, roles)
    catalog_name: str = ""
    path: str = ""
    in_up: bool = True  # run by `nimbostack up` (roles are for `serve` only)
    wave: int = 1  # `up` starts waves in order, the services of one wave together
    routes: str = ""  # "module:NAME" of its REST API's route table, if it serves one
    # Further catalog types naming the same endpoint (block storage is also `volumev3`).
    also_types: tuple[str, ...] = ()

    def catalog_types(self) -> list[str]:
        return [self.catalog_type, *self.also_types] if self.catalog_type else []

    def load(self, runtime: Runtime) -> Service[Any]:
        module, _, cls_name = self.target.partition(":")
        cls = getattr(importlib.import_module(module), cls_name)
        service = cls(runtime)
        assert isinstance(service, Service)
        return service

    def route_table(self) -> Sequence[Route]:
        """The routes of the service's REST API (empty when it serves none)."""
        if not self.routes:
            return []
        module, _, name = self.routes.partition(":")
        table: Sequence[Route] = getattr(importlib.import_module(module), name)
        return table

    def import_options(self) -> None:
        importlib.import_module(self.target.partition(":")[0])


SERVICES: list[ServiceSpec] = [
    ServiceSpec(
        "identity",
        "nimbostack.identity.service:IdentityService",
        "identity",
        "keystone",
        "/v3",
        wave=0,
        routes="nimbostack.identity.api.routes:ROUTES",
    ),
    ServiceSpec(
        "image",
        "nimbostack.image.service:ImageService",
        "image",
        "glance",
        routes="nimbostack.image.api.routes:ROUTES",
    ),
    ServiceSpec(
        "placement",
        "nimbostack.placement.service:PlacementService",
        "placement",
        "placement",
        routes="nimbostack.placement.api.routes:ROUTES",
    ),
    ServiceSpec(
        "compute",
        "nimbostack.compute.service:ComputeService",
        "compute",
        "nova",
        "/v2.1",
        routes="nimbostack.compute.api.routes:ROUTES",
    ),
    ServiceSpec(
        "network",
        "nimbostack.network.service:NetworkService",
        "network",
        "neutron",
        routes="nimbostack.network.api.routes:ROUTES",
    ),
    ServiceSpec("console_proxy", "nimbostack.compute.console.service:ConsoleProxyService", None),
    ServiceSpec(
        "volume",
        "nimbostack.volume.service:VolumeService",
        "block-storage",
        "cinderv3",
        "/v3",
        routes="nimbostack.volume.api.routes:ROUTES",
        also_types=("volumev3",),
    ),
    # The web console: not in the catalog, started last (it only calls the others).
    ServiceSpec("dashboard", "nimbostack.dashboard.service:DashboardService", None, wave=2),
    *(
        ServiceSpec(
            f"compute-{role}",
            f"nimbostack.compute.service:Compute{role.capitalize()}Service",
            None,
            in_up=False,
        )
        for role in ("api", "conductor", "scheduler", "agent")
    ),
    ServiceSpec("network-server", "nimbostack.network.service:NetworkService", None, in_up=False),
    ServiceSpec(
        "network-l2-agent",
        "nimbostack.network.l2_agent_service:NetworkL2AgentService",
        None,
        in_up=False,
    ),
    ServiceSpec(
        "network-dhcp-agent",
        "nimbostack.network.dhcp_agent_service:NetworkDhcpAgentService",
        None,
        in_up=False,
    ),
    ServiceSpec(
        "network-l3-agent",
        "nimbostack.network.l3_agent_service:NetworkL3AgentService",
        None,
        in_up=False,
    ),
    ServiceSpec(
        "network-metadata-agent",
        "nimbostack.network.metadata_service:MetadataAgentService",
        None,
        in_up=False,
    ),
    *(
        ServiceSpec(
            f"volume-{role}",
            f"nimbostack.volume.service:Volume{role.capitalize()}Service",
            None,
            in_up=False,
        )
        for role in ("api", "scheduler", "manager")
    ),
]


def in_up() -> list[ServiceSpec]:
    """The services `nimbostack up` runs together."""
    return [spec for spec in SERVICES if spec.in_up]


def by_name(name: str) -> ServiceSpec:
    for spec in SERVICES:
        if spec.name == name:
            return spec
    known = ", ".join(s.name for s in SERVICES)
    raise KeyError(f"unknown service {name!r} (known: {known})")


def import_all_options() -> None:
    """Import every service module so its options are registered (for config and sample)."""
    for spec in SERVICES:
        spec.import_options()
