"""Placement's whole route table: one line per URL and method."""

from __future__ import annotations

from nimbostack.core.api.app import Route
from nimbostack.placement.api import (
    aggregates,
    allocation_candidates,
    allocations,
    inventories,
    resource_classes,
    resource_providers,
    root,
    traits,
    usages,
)

RP = "/resource_providers/{uuid}"

ROUTES: list[Route] = [
    Route("GET", "/", root.show_versions, public=True),
    Route("GET", "/resource_providers", resource_providers.list_resource_providers),
    Route("POST", "/resource_providers", resource_providers.create_resource_provider),
    Route("GET", RP, resource_providers.show_resource_provider),
    Route("PUT", RP, resource_providers.update_resource_provider),
    Route("DELETE", RP, resource_providers.delete_resource_provider),
    Route("GET", f"{RP}/inventories", inventories.list_inventories),
    Route("POST", f"{RP}/inventories", inventories.create_inventory),
    Route("PUT", f"{RP}/inventories", inventories.replace_inventories),
    Route("DELETE", f"{RP}/inventories", inventories.delete_inventories),
    Route("GET", f"{RP}/inventories/{{resource_class}}", inventories.show_inventory),
    Route("PUT", f"{RP}/inventories/{{resource_class}}", inventories.update_inventory),
    Route("DELETE", f"{RP}/inventories/{{resource_class}}", inventories.delete_inventory),
    Route("GET", f"{RP}/aggregates", aggregates.list_aggregates),
    Route("PUT", f"{RP}/aggregates", aggregates.update_aggregates),
    Route("GET", f"{RP}/traits", traits.list_provider_traits),
    Route("PUT", f"{RP}/traits", traits.update_provider_traits),
    Route("DELETE", f"{RP}/traits", traits.delete_provider_traits),
    Route("GET", f"{RP}/usages", usages.provider_usages),
    Route("GET", f"{RP}/allocations", allocations.list_for_provider),
    Route("GET", "/resource_classes", resource_classes.list_resource_classes),
    Route("POST", "/resource_classes", resource_classes.create_resource_class),
    Route("GET", "/resource_classes/{name}", resource_classes.show_resource_class),
    Route("PUT", "/resource_classes/{name}", resource_classes.update_resource_class),
    Route("DELETE", "/resource_classes/{name}", resource_classes.delete_resource_class),
    Route("GET", "/traits", traits.list_traits),
    Route("GET", "/traits/{name}", traits.show_trait),
    Route("PUT", "/traits/{name}", traits.create_trait),
    Route("DELETE", "/traits/{name}", traits.delete_trait),
    Route("POST", "/allocations", allocations.manage_allocations),
    Route("GET", "/allocations/{consumer_uuid}", allocations.list_for_consumer),
    Route("PUT", "/allocations/{consumer_uuid}", allocations.set_for_consumer),
    Route("DELETE", "/allocations/{consumer_uuid}", allocations.delete_for_consumer),
    Route("GET", "/usages", usages.project_usages),
    Route("GET", "/allocation_candidates", allocation_candidates.list_allocation_candidates),
]
