"""The public APIs as one user sees them: clients bound to the session's token and catalog.

Every call goes to an endpoint of the user's own catalog with the user's own token:
the dashboard holds no credential of its own and sees exactly what the APIs give
that token. One HTTP connection pool is shared by all sessions.
"""

from __future__ import annotations

from functools import cached_property

import httpx

from nimbostack.clients.compute import ComputeClient
from nimbostack.clients.identity_admin import IdentityClient
from nimbostack.clients.identity_auth import Token
from nimbostack.clients.image_api import GlanceClient
from nimbostack.clients.network_api import NeutronClient
from nimbostack.clients.placement_usage import PlacementReader
from nimbostack.clients.rest import RestError
from nimbostack.clients.volume_api import TYPES as VOLUME_TYPES
from nimbostack.clients.volume_api import CinderClient
from nimbostack.dashboard.i18n import _

COMPUTE_VERSION = "2.96"


class Apis:
    """Lazily built clients for one request of one session."""

    def __init__(self, http: httpx.AsyncClient, token: Token) -> None:
        self.http = http
        self.token = token

    @cached_property
    def compute(self) -> ComputeClient:
        return ComputeClient(self.token.session, self.http, version=COMPUTE_VERSION)

    @cached_property
    def images(self) -> GlanceClient:
        return GlanceClient(self.token.session, self.http)

    @cached_property
    def identity(self) -> IdentityClient:
        return IdentityClient(self.token.session, self.http)

    @cached_property
    def placement(self) -> PlacementReader:
        return PlacementReader(self.token.session, self.http)

    @cached_property
    def network(self) -> NeutronClient:
        if not self.has("network"):
            raise RestError(404, _("This cloud has no networking service."))
        return NeutronClient(self.token.session, self.http)

    @cached_property
    def volumes(self) -> CinderClient:
        if not any(self.has(t) for t in VOLUME_TYPES):
            raise RestError(404, _("This cloud has no block storage service."))
        return CinderClient(self.token.session, self.http)

    def has(self, service_type: str) -> bool:
        return self.token.has_service(service_type)
