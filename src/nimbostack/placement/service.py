"""The placement service: standard classes and traits, the API on [placement] port."""

from __future__ import annotations

from pathlib import Path

from nimbostack.core.api.errorbody import placement_error
from nimbostack.core.auth.policy import RuleDefault
from nimbostack.core.service import Api, Schema, Service
from nimbostack.placement import options as _options  # noqa: F401
from nimbostack.placement import policies
from nimbostack.placement.api.routes import ROUTES
from nimbostack.placement.db.models import Base
from nimbostack.placement.objects import names
from nimbostack.placement.state import PlacementState
from nimbostack.placement.versions import VERSIONS

MIGRATIONS = Path(__file__).parent / "db" / "migrations"
API = Api("placement", ROUTES, placement_error, VERSIONS)


class PlacementService(Service[PlacementState]):
    """The placement API on [placement] port."""

    name = "placement"
    schema = Schema(Base.metadata, MIGRATIONS)
    apis = (API,)

    def policy_rules(self) -> list[RuleDefault]:
        return policies.rules()

    async def build_state(self) -> PlacementState:
        await names.ensure_standard(self.database)
        return PlacementState(
            conf=self.runtime.conf,
            db=self.database,
            enforcer=self.enforcer,
            public_url=self.runtime.url("placement"),
        )
