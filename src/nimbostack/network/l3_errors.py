"""Neutron's L3 errors (routers, interfaces, extra routes, floating IPs), named as Neutron's.

As in ``errors``, the class name is the ``type`` of the NeutronError body and each
message is formatted from keyword arguments.
"""

from __future__ import annotations

from nimbostack.core import errors as core
from nimbostack.network.errors import _Templated


class RouterNotFound(_Templated, core.NotFound):
    template = "Router {router_id} could not be found"


class RouterInUse(_Templated, core.Conflict):
    template = "Router {router_id} {reason}"


class RouterInterfaceNotFound(_Templated, core.NotFound):
    template = "Router {router_id} does not have an interface with id {port_id}"


class RouterInterfaceNotFoundForSubnet(_Templated, core.NotFound):
    template = "Router {router_id} has no interface on subnet {subnet_id}"


class RouterInterfaceInUseByFloatingIP(_Templated, core.Conflict):
    template = (
        "Router interface for subnet {subnet_id} on router {router_id} cannot be deleted, "
        "as it is required by one or more floating IPs."
    )


class RouterInterfaceInUseByRoute(_Templated, core.Conflict):
    template = (
        "Router interface for subnet {subnet_id} on router {router_id} cannot be deleted, "
        "as it is required by one or more routes."
    )


class RouterExternalGatewayInUseByFloatingIp(_Templated, core.Conflict):
    template = (
        "Gateway cannot be updated for router {router_id}, since a gateway to external "
        "network {net_id} is required by one or more floating IPs."
    )


class InvalidRoutes(_Templated, core.BadRequest):
    template = "Invalid format for routes: {routes}, {reason}"


class RoutesExhausted(_Templated, core.BadRequest):
    template = (
        "Unable to complete operation for {router_id}. "
        "The number of routes exceeds the maximum {quota}."
    )


class PortInUse(_Templated, core.Conflict):
    template = (
        "Unable to complete operation on port {port_id} for network {net_id}. "
        "Port already has an attached device {device_id}."
    )


class FloatingIPNotFound(_Templated, core.NotFound):
    template = "Floating IP {floatingip_id} could not be found"


class ExternalGatewayForFloatingIPNotFound(_Templated, core.NotFound):
    template = (
        "External network {external_network_id} is not reachable from subnet {subnet_id}.  "
        "Therefore, cannot associate Port {port_id} with a Floating IP."
    )


class FloatingIPPortAlreadyAssociated(_Templated, core.Conflict):
    template = (
        "Cannot associate floating IP {floating_ip_address} ({fip_id}) with port {port_id} "
        "using fixed IP {fixed_ip}, as that fixed IP already has a floating IP on external "
        "network {net_id}."
    )


class BadRequest(_Templated, core.BadRequest):
    """Neutron's generic ``BadRequest`` of one resource: "Bad <resource> request: <msg>."."""

    template = "Bad {resource} request: {msg}."


def bad_router(msg: str) -> BadRequest:
    return BadRequest(resource="router", msg=msg)


def bad_floatingip(msg: str) -> BadRequest:
    return BadRequest(resource="floatingip", msg=msg)
