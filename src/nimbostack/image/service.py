"""The image service: its stores and the API on [image] port."""

from __future__ import annotations

import asyncio
from pathlib import Path

from nimbostack.core.api.errorbody import glance_error
from nimbostack.core.auth.policy import RuleDefault
from nimbostack.core.service import Api, Schema, Service
from nimbostack.image import options as _options  # noqa: F401
from nimbostack.image import policies
from nimbostack.image.api.routes import ROUTES
from nimbostack.image.db.models import Base
from nimbostack.image.state import ImageState
from nimbostack.image.stores.file import FileStore

MIGRATIONS = Path(__file__).parent / "db" / "migrations"
API = Api("image", ROUTES, glance_error)


class ImageService(Service[ImageState]):
    """Glance v2 on [image] port."""

    name = "image"
    schema = Schema(Base.metadata, MIGRATIONS)
    apis = (API,)

    def policy_rules(self) -> list[RuleDefault]:
        return policies.rules()

    async def build_state(self) -> ImageState:
        conf = self.runtime.conf.image
        store_dir = Path(conf.store_dir or self.runtime.data_dir / "images")
        store = FileStore(store_dir)
        staging = FileStore(store_dir / "staging")
        await asyncio.to_thread(store.ensure)
        await asyncio.to_thread(staging.ensure)
        state = ImageState(
            conf=conf, db=self.database, enforcer=self.enforcer, store=store, staging=staging
        )
        # Background imports stop before the database closes.
        self.on_stop("image imports", state.drain)
        return state
