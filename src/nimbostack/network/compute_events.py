"""Telling compute about its servers' ports: ``network-vif-plugged`` when one goes ACTIVE.

Sent as network-server itself (the service user's token, also as the service token)
to ``POST /v2.1/os-server-external-events``, tagged with the port's id, as Neutron's
Nova notifier does.
"""

from __future__ import annotations

import httpx

from nimbostack.clients import tls
from nimbostack.clients.compute import ComputeClient
from nimbostack.clients.service_auth import Auth
from nimbostack.network.objects.binding import Provisioned

VIF_PLUGGED = "network-vif-plugged"


class ComputeVifEvents:
    """Compute's external events, over one connection pool for the process."""

    def __init__(self, auth: Auth, http: httpx.AsyncClient | None = None) -> None:
        self.auth = auth
        self.http = http or httpx.AsyncClient(timeout=30.0, verify=tls.context())

    async def plugged(self, port: Provisioned) -> None:
        session = await self.auth.session()
        client = ComputeClient(session, self.http, service_token=session.token)
        event = {"name": VIF_PLUGGED, "server_uuid": port.device_id, "tag": port.port_id}
        await client.send_events([event])

    async def close(self) -> None:
        await self.http.aclose()
