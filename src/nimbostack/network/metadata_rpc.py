"""network-server's handler of the metadata agent's lookups (served on ``network.plugin``)."""

from __future__ import annotations

from nimbostack.core.context import RequestContext
from nimbostack.core.db import Database
from nimbostack.core.rpc import handles
from nimbostack.network.metadata_messages import GetInstanceForAddress, InstancePort
from nimbostack.network.objects.metadata_lookup import instance_for_address


class MetadataLookups:
    """Mixed into the plugin endpoint: one endpoint serves every handler of a topic."""

    db: Database

    @handles(GetInstanceForAddress)
    async def get_instance_for_address(
        self, ctxt: RequestContext, msg: GetInstanceForAddress
    ) -> InstancePort:
        async with self.db.reader() as s:
            return await instance_for_address(s, msg.ip_address, msg.network_id, msg.router_id)
