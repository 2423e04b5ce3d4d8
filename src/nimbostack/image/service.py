"""Runs the image service: migrations, the stores, the API server on [image] port."""

from __future__ import annotations

import asyncio
from pathlib import Path

from nimbostack.core.api.app import ApiSettings, build_app
from nimbostack.core.api.errorbody import glance_error
from nimbostack.core.db import Database
from nimbostack.core.db.migrate import upgrade
from nimbostack.core.options import max_body_size
from nimbostack.core.service import HttpServer, Service
from nimbostack.image import options as _options  # noqa: F401
from nimbostack.image import policies
from nimbostack.image.api.routes import ROUTES
from nimbostack.image.db.models import Base
from nimbostack.image.state import ImageState
from nimbostack.image.stores.file import FileStore

MIGRATIONS = Path(__file__).parent / "db" / "migrations"


class ImageService(Service):
    """Glance v2 on [image] port."""

    name = "image"
    state: ImageState
    server: HttpServer

    async def prepare(self) -> ImageState:
        """Migrate the database and open the stores (no server yet)."""
        rt = self.runtime
        conf = rt.conf.image
        url = rt.database_url("image")
        await asyncio.to_thread(upgrade, url, MIGRATIONS, Base.metadata)
        store_dir = Path(conf.store_dir or rt.data_dir / "images")
        store = FileStore(store_dir)
        staging = FileStore(store_dir / "staging")
        await asyncio.to_thread(store.ensure)
        await asyncio.to_thread(staging.ensure)
        self.state = ImageState(
            conf=conf,
            db=Database(url),
            enforcer=rt.enforcer("image", policies.rules()),
            store=store,
            staging=staging,
        )
        return self.state

    async def start(self) -> None:
        if not hasattr(self, "state"):
            await self.prepare()
        rt = self.runtime
        settings = ApiSettings(
            service="image",
            error_format=glance_error,
            validator=rt.token_validator(),
            enforcer=self.state.enforcer,
            auth_uri=rt.url("identity"),
            max_body_size=max_body_size(rt.conf, "image"),
        )
        app = build_app(ROUTES, settings)
        app.state.image = self.state
        self.server = HttpServer(app, rt.conf.DEFAULT.bind_host, rt.port("image"), "image")
        await self.server.start()

    async def stop(self) -> None:
        if hasattr(self, "server"):
            await self.server.stop()
        if hasattr(self, "state"):
            await self.state.drain()
            await self.state.db.close()
