"""Block storage as compute reaches it: the user's token plus compute's service token.

As Nova does, compute calls block storage with the token of the user who asked and its
own service token beside it (``X-Service-Token``), so block storage knows the call
comes from compute (only such a call may delete an attachment a server still uses).
The catalog is the service user's. Tests hand in an HTTP client of their own.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

from nimbostack.clients.identity import Session
from nimbostack.clients.volume import VolumeClient
from nimbostack.compute.credentials import Auth
from nimbostack.core.context import RequestContext


class VolumeAccess:
    """Opens block storage clients for requests; ``http`` is shared if given, else per use."""

    def __init__(self, auth: Auth, http: httpx.AsyncClient | None = None) -> None:
        self.auth = auth
        self.http = http

    @asynccontextmanager
    async def client(self, ctxt: RequestContext) -> AsyncIterator[VolumeClient]:
        service = await self.auth.session()
        user = Session(ctxt.auth_token or service.token, service.catalog)
        client = VolumeClient(user, self.http, service_token=service.token)
        try:
            yield client
        finally:
            if self.http is None:
                await client.close()
