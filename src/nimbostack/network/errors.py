"""Neutron's errors: each class is named as Neutron names it, since the name is the wire type.

The networking API answers ``{"NeutronError": {"type", "message", "detail"}}`` and the
``type`` is the exception's name (``core.api.errorbody.neutron_error`` reads it from the
class), so clients that match on ``NetworkNotFound`` or ``OverQuota`` work unchanged.
Each class formats its message from keyword arguments, as Neutron's do.
"""

from __future__ import annotations

from typing import Any, ClassVar

from nimbostack.core.errors import (
    ApiError,
    BadRequest,
    Conflict,
    Forbidden,
    NotFound,
    ServiceUnavailable,
)


class _Templated(ApiError):
    template: ClassVar[str] = ""

    def __init__(self, message: str | None = None, **values: Any) -> None:
        super().__init__(message if message is not None else self.template.format(**values))


# -- generic ------------------------------------------------------------------------
class HTTPBadRequest(_Templated, BadRequest):
    """A request Neutron's API layer rejects before any plugin sees it."""


class HTTPNotFound(_Templated, NotFound):
    template = "The resource could not be found."


class InvalidInput(_Templated, BadRequest):
    template = "Invalid input for operation: {error_message}."


class PolicyNotAuthorized(_Templated, Forbidden):
    template = "({rule}) is disallowed by policy"


class PreconditionFailed(ApiError):
    status = 412
    title = "Precondition Failed"


class RevisionNumberConstraintFailed(_Templated, PreconditionFailed):
    template = "Constrained to {expected}, but current revision is {current}"


class OverQuota(_Templated, Conflict):
    template = "Quota exceeded for resources: {overs}."


class QuotaResourceUnknown(_Templated, NotFound):
    template = "Unknown quota resources {unknown}."


class TagNotFound(_Templated, NotFound):
    template = "Tag {tag} could not be found."


class ExtensionNotFound(_Templated, NotFound):
    template = "Extension with alias {alias} does not exist"


class AvailabilityZoneNotFound(_Templated, NotFound):
    template = "AvailabilityZone {availability_zone} could not be found."


# -- networks and segments ------------------------------------------------------------
class AgentNotFound(_Templated, NotFound):
    template = "Agent {id} could not be found."


class NetworkNotFound(_Templated, NotFound):
    template = "Network {net_id} could not be found."


class NetworkInUse(_Templated, Conflict):
    template = (
        "Unable to complete operation on network {net_id}. "
        "There are one or more ports still in use on the network."
    )


class InvalidSharedSetting(_Templated, Conflict):
    template = (
        "Unable to reconfigure sharing settings for network {network}. "
        "Multiple projects are using it."
    )


class ExternalNetworkInUse(_Templated, Conflict):
    template = (
        "External network {net_id} cannot be updated to be made non-external, "
        "since it has existing gateway ports."
    )


class SegmentsSetInConjunctionWithProviders(_Templated, BadRequest):
    template = "Segments and provider values cannot both be set."


class SegmentsContainDuplicateEntry(_Templated, BadRequest):
    template = "Duplicate segment entry in request."


class NoNetworkAvailable(_Templated, ServiceUnavailable):
    template = "Unable to create the network. No tenant network is available for allocation."


class DefaultExternalNetworkExists(_Templated, Conflict):
    template = "Unable to make a network the default external network: {net_id} already is."


class AutoAllocationFailure(_Templated, Conflict):
    template = "Deployment error: {reason}."


class VlanIdInUse(_Templated, Conflict):
    template = (
        "Unable to create the network. The VLAN {vlan_id} on physical network "
        "{physical_network} is in use."
    )


class TunnelIdInUse(_Templated, Conflict):
    template = "Unable to create the network. The tunnel ID {tunnel_id} is in use."


class FlatNetworkInUse(_Templated, Conflict):
    template = "Unable to create the flat network. Physical network {physical_network} is in use."


# -- subnets, pools and addresses -----------------------------------------------------
class SubnetNotFound(_Templated, NotFound):
    template = "Subnet {subnet_id} could not be found."


class SubnetInUse(_Templated, Conflict):
    template = (
        "Unable to complete operation on subnet {subnet_id}: "
        "One or more ports have an IP allocation from this subnet."
    )


class SubnetPoolNotFound(_Templated, NotFound):
    template = "Subnet pool {subnetpool_id} could not be found."


class SubnetPoolInUse(_Templated, Conflict):
    template = "Unable to complete operation on subnet pool {subnet_pool_id}. {reason}."


class SubnetAllocationError(_Templated, Conflict):
    template = "Failed to allocate subnet: {reason}."


class IllegalSubnetPoolUpdate(_Templated, BadRequest):
    template = "Illegal subnetpool update : {reason}."


class IllegalSubnetPoolPrefixBounds(_Templated, BadRequest):
    template = (
        "Illegal prefix bounds: {prefix_type}={prefixlen}, {base_prefix_type}={base_prefixlen}."
    )


class PrefixVersionMismatch(_Templated, BadRequest):
    template = "Cannot mix IPv4 and IPv6 prefixes in a subnet pool."


class GatewayConflictWithAllocationPools(_Templated, Conflict):
    template = "Gateway ip {ip_address} conflicts with allocation pool {pool}."


class OverlappingAllocationPools(_Templated, Conflict):
    template = "Found overlapping allocation pools: {pool_1} {pool_2} for subnet {subnet_cidr}."


class OutOfBoundsAllocationPool(_Templated, BadRequest):
    template = "The allocation pool {pool} spans beyond the subnet cidr {subnet_cidr}."


class InvalidAllocationPool(_Templated, BadRequest):
    template = "The allocation pool {pool} is not valid."


class DNSNameServersExhausted(_Templated, BadRequest):
    template = (
        "Unable to complete operation for {subnet_id}. The number of DNS nameservers "
        "exceeds the limit {quota}."
    )


class HostRoutesExhausted(_Templated, BadRequest):
    template = (
        "Unable to complete operation for {subnet_id}. The number of host routes "
        "exceeds the limit {quota}."
    )


class IpAddressGenerationFailure(_Templated, Conflict):
    template = "No more IP addresses available on network {net_id}."


class IpAddressAlreadyAllocated(_Templated, Conflict):
    template = "IP address {ip} already allocated in subnet {subnet_id}"


class InvalidIpForNetwork(_Templated, BadRequest):
    template = "IP address {ip_address} is not a valid IP for any of the subnets on the network."


class InvalidIpForSubnet(_Templated, BadRequest):
    template = "IP address {ip_address} is not a valid IP for the specified subnet."


# -- ports ------------------------------------------------------------------------------
class PortNotFound(_Templated, NotFound):
    template = "Port {port_id} could not be found."


class MacAddressInUse(_Templated, Conflict):
    template = "Unable to complete operation for network {net_id}. The mac address {mac} is in use."


class NetworkMacAddressGenerationFailure(_Templated, ServiceUnavailable):
    template = "Unable to generate unique mac on network {net_id}."


class PortSecurityPortHasSecurityGroup(_Templated, Conflict):
    template = (
        "Port has security group associated. Cannot disable port security or IP "
        "address until security group is removed."
    )


class PortSecurityAndIPRequiredForSecurityGroups(_Templated, BadRequest):
    template = (
        "Port security must be enabled and port must have an IP address in order to use "
        "security groups."
    )


class AddressPairAndPortSecurityRequired(_Templated, Conflict):
    template = "Port Security must be enabled in order to have allowed address pairs on a port."


class DuplicateAddressPairInRequest(_Templated, BadRequest):
    template = (
        "Request contains duplicate address pair: "
        "mac_address {mac_address} ip_address {ip_address}."
    )


class AllowedAddressPairExhausted(_Templated, BadRequest):
    template = "The number of allowed address pair exceeds the maximum {quota}."


# -- security groups and address groups ---------------------------------------------
class SecurityGroupNotFound(_Templated, NotFound):
    template = "Security group {id} does not exist"


class SecurityGroupRuleNotFound(_Templated, NotFound):
    template = "Security group rule {id} does not exist"


class SecurityGroupInUse(_Templated, Conflict):
    template = "Security Group {id} in use."


class SecurityGroupCannotRemoveDefault(_Templated, Conflict):
    template = "Insufficient rights for removing default security group."


class SecurityGroupCannotUpdateDefault(_Templated, Conflict):
    template = "Updating default security group not allowed."


class SecurityGroupDefaultAlreadyExists(_Templated, Conflict):
    template = "Default security group already exists."


class SecurityGroupRuleExists(_Templated, Conflict):
    template = "Security group rule already exists. Rule id is {rule_id}."


class DuplicateSecurityGroupRuleInPost(_Templated, Conflict):
    template = "Duplicate Security Group Rule in POST."


class SecurityGroupRuleInvalidProtocol(_Templated, BadRequest):
    template = (
        "Security group rule protocol {protocol} not supported. Only protocol values "
        "{values} and integer representations [0 to 255] are supported."
    )


class SecurityGroupInvalidPortRange(_Templated, BadRequest):
    template = "For TCP/UDP protocols, port_range_min must be <= port_range_max"


class SecurityGroupInvalidPortValue(_Templated, BadRequest):
    template = "Invalid value for port {port}"


class SecurityGroupInvalidProtocolForPort(_Templated, BadRequest):
    template = (
        "Ports cannot be specified for protocol {protocol}. Ports are only supported "
        "for {valid_port_protocols}."
    )


class SecurityGroupInvalidIcmpValue(_Templated, BadRequest):
    template = "Invalid value for ICMP {field} ({attr}): {value}. It must be 0 to 255."


class SecurityGroupMissingIcmpType(_Templated, BadRequest):
    template = (
        "ICMP code (port-range-max) {value} is provided but ICMP type (port-range-min) is missing."
    )


class SecurityGroupEthertypeConflictWithProtocol(_Templated, BadRequest):
    template = "Invalid ethertype {ethertype} for protocol {protocol}."


class SecurityGroupProtocolRequiredWithPorts(_Templated, BadRequest):
    template = "Must also specify protocol if port range is given."


class SecurityGroupMultipleRemoteEntites(_Templated, BadRequest):
    template = (
        "Only one of remote_ip_prefix or remote_group_id or remote_address_group_id "
        "may be provided."
    )


class SecurityGroupRuleParameterConflict(_Templated, BadRequest):
    template = "Conflicting value ethertype {ethertype} for CIDR {cidr}"


class AddressGroupNotFound(_Templated, NotFound):
    template = "Address group {address_group_id} could not be found."


class AddressGroupInUse(_Templated, Conflict):
    template = "Address group {address_group_id} is in use on one or more security group rules."


# -- RBAC ---------------------------------------------------------------------------------
class RbacPolicyNotFound(_Templated, NotFound):
    template = "RBAC policy of type {object_type} with ID {id} not found"


class RbacPolicyInUse(_Templated, Conflict):
    template = (
        "RBAC policy on object {object_id} cannot be removed because other objects "
        "depend on it.\nDetails: {details}"
    )


class DuplicateRbacPolicy(_Templated, Conflict):
    template = "An RBAC policy already exists with those values."


class MinPrefixSubnetAllocationError(_Templated, BadRequest):
    template = (
        "Unable to allocate subnet with prefix length {prefixlen}, minimum allowed "
        "prefix is {min_prefixlen}."
    )


class MaxPrefixSubnetAllocationError(_Templated, BadRequest):
    template = (
        "Unable to allocate subnet with prefix length {prefixlen}, maximum allowed "
        "prefix is {max_prefixlen}."
    )


class AllocationOnAutoAddressSubnet(_Templated, BadRequest):
    template = (
        "IPv6 address {ip} cannot be directly assigned to a port on subnet {subnet_id} "
        "as the subnet is configured for automatic addresses"
    )


class ServicePortInUse(_Templated, Conflict):
    template = "Port {port_id} cannot be deleted directly via the port API: {reason}."


class SubnetPoolDeleteError(_Templated, BadRequest):
    template = "Unable to delete subnet pool: {reason}."
