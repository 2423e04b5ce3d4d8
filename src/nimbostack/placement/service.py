"""Runs the placement service: migrations, standard classes and traits, the API server."""

from __future__ import annotations

import asyncio
from pathlib import Path

from nimbostack.core.api.app import ApiSettings, build_app
from nimbostack.core.api.errorbody import placement_error
from nimbostack.core.api.microversion import Version, VersionRange
from nimbostack.core.db import Database
from nimbostack.core.db.migrate import upgrade
from nimbostack.core.options import max_body_size
from nimbostack.core.service import HttpServer, Service
from nimbostack.placement import options as _options  # noqa: F401
from nimbostack.placement import policies
from nimbostack.placement.api.routes import ROUTES
from nimbostack.placement.db.models import Base
from nimbostack.placement.objects import names
from nimbostack.placement.state import PlacementState

MIGRATIONS = Path(__file__).parent / "db" / "migrations"
MIN_VERSION = Version(1, 0)
MAX_VERSION = Version(1, 39)
VERSIONS = VersionRange("placement", MIN_VERSION, MAX_VERSION)


class PlacementService(Service):
    """The placement API on [placement] port."""

    name = "placement"
    state: PlacementState
    server: HttpServer

    async def prepare(self) -> PlacementState:
        """Migrate the database and record the standard classes and traits."""
        rt = self.runtime
        url = rt.database_url("placement")
        await asyncio.to_thread(upgrade, url, MIGRATIONS, Base.metadata)
        db = Database(url)
        await names.ensure_standard(db)
        self.state = PlacementState(
            conf=rt.conf,
            db=db,
            enforcer=rt.enforcer("placement", policies.rules()),
            public_url=rt.url("placement"),
        )
        return self.state

    async def start(self) -> None:
        if not hasattr(self, "state"):
            await self.prepare()
        rt = self.runtime
        settings = ApiSettings(
            service="placement",
            error_format=placement_error,
            validator=rt.token_validator(),
            enforcer=self.state.enforcer,
            versions=VERSIONS,
            auth_uri=rt.url("identity"),
            max_body_size=max_body_size(rt.conf, "placement"),
        )
        app = build_app(ROUTES, settings)
        app.state.placement = self.state
        self.server = HttpServer(app, rt.conf.DEFAULT.bind_host, rt.port("placement"), "placement")
        await self.server.start()

    async def stop(self) -> None:
        if hasattr(self, "server"):
            await self.server.stop()
        if hasattr(self, "state"):
            await self.state.db.close()
