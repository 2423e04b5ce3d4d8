"""The networking tables (one declarative Base), grouped by concern.

``base`` (shared columns), ``l2`` (networks, segments, ML2 allocations), ``ip``
(subnets, pools, IP allocations), ``ports``, ``security`` (security and address
groups), ``l3`` (routers, floating IPs, auto-allocated topologies) and ``control``
(RBAC, agents, quotas, tags, locks).
"""

from nimbostack.network.db.models.base import Base, Owned, StandardAttrs
from nimbostack.network.db.models.control import (
    Agent,
    Lock,
    NetworkDhcpAgentBinding,
    Quota,
    RbacEntry,
    Tag,
)
from nimbostack.network.db.models.ip import (
    AllocationPool,
    DnsNameServer,
    IPAllocation,
    Subnet,
    SubnetPool,
    SubnetPoolPrefix,
    SubnetRoute,
)
from nimbostack.network.db.models.l2 import (
    FlatAllocation,
    Network,
    NetworkSegment,
    VlanAllocation,
    VxlanAllocation,
)
from nimbostack.network.db.models.l3 import (
    AutoAllocatedTopology,
    FloatingIP,
    Router,
    RouterL3AgentBinding,
    RouterPort,
    RouterRoute,
)
from nimbostack.network.db.models.ports import (
    AllowedAddressPair,
    ExtraDhcpOpt,
    Port,
    PortBinding,
    ProvisioningBlock,
)
from nimbostack.network.db.models.security import (
    AddressGroup,
    AddressGroupAddress,
    DefaultSecurityGroup,
    SecurityGroup,
    SecurityGroupPortBinding,
    SecurityGroupRule,
)

__all__ = [
    "AddressGroup",
    "AddressGroupAddress",
    "Agent",
    "AllocationPool",
    "AllowedAddressPair",
    "AutoAllocatedTopology",
    "Base",
    "DefaultSecurityGroup",
    "DnsNameServer",
    "ExtraDhcpOpt",
    "FlatAllocation",
    "FloatingIP",
    "IPAllocation",
    "Lock",
    "Network",
    "NetworkDhcpAgentBinding",
    "NetworkSegment",
    "Owned",
    "Port",
    "PortBinding",
    "ProvisioningBlock",
    "Quota",
    "RbacEntry",
    "Router",
    "RouterL3AgentBinding",
    "RouterPort",
    "RouterRoute",
    "SecurityGroup",
    "SecurityGroupPortBinding",
    "SecurityGroupRule",
    "StandardAttrs",
    "Subnet",
    "SubnetPool",
    "SubnetPoolPrefix",
    "SubnetRoute",
    "Tag",
    "VlanAllocation",
    "VxlanAllocation",
]
