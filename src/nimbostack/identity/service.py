"""Runs the identity service: migrations, keys, the API server."""

from __future__ import annotations

import asyncio
from pathlib import Path

from nimbostack.core.api.app import ApiSettings, build_app
from nimbostack.core.api.errorbody import keystone_error
from nimbostack.core.db import Database
from nimbostack.core.db.migrate import upgrade
from nimbostack.core.options import max_body_size
from nimbostack.core.service import HttpServer, Service
from nimbostack.identity import options as _options  # noqa: F401
from nimbostack.identity import policies
from nimbostack.identity.api.routes import ROUTES
from nimbostack.identity.db.models import Base
from nimbostack.identity.state import IdentityState
from nimbostack.identity.tokens.keys import KeyRepository
from nimbostack.identity.tokens.provider import LocalTokenValidator

MIGRATIONS = Path(__file__).parent / "db" / "migrations"


class IdentityService(Service):
    """Keystone v3 on [identity] port."""

    name = "identity"
    state: IdentityState
    server: HttpServer

    async def prepare(self) -> IdentityState:
        """Migrate the database and open the key repository (no server yet)."""
        rt = self.runtime
        url = rt.database_url("identity")
        await asyncio.to_thread(upgrade, url, MIGRATIONS, Base.metadata)
        key_dir = rt.conf.identity.key_repository or rt.data_dir / "identity" / "fernet-keys"
        keys = KeyRepository(Path(key_dir), rt.conf.identity.max_active_keys)
        await asyncio.to_thread(keys.ensure)
        # Credential keys are never rotated automatically: rotating would need re-encryption.
        secret_keys = KeyRepository(Path(key_dir).parent / "credential-keys")
        await asyncio.to_thread(secret_keys.ensure)
        self.state = IdentityState(
            conf=rt.conf,
            db=Database(url),
            enforcer=rt.enforcer("identity", policies.rules()),
            keys=keys,
            fernet=keys.load(),
            public_url=rt.url("identity"),
            secrets=secret_keys.load(),
        )
        return self.state

    async def start(self) -> None:
        if not hasattr(self, "state"):
            await self.prepare()
        settings = ApiSettings(
            service="identity",
            error_format=keystone_error,
            validator=LocalTokenValidator(self.state),
            enforcer=self.state.enforcer,
            auth_uri=self.state.public_url,
            max_body_size=max_body_size(self.runtime.conf, "identity"),
        )
        app = build_app(ROUTES, settings)
        app.state.identity = self.state
        rt = self.runtime
        self.server = HttpServer(app, rt.conf.DEFAULT.bind_host, rt.port("identity"), "identity")
        await self.server.start()

    async def stop(self) -> None:
        if hasattr(self, "server"):
            await self.server.stop()
        if hasattr(self, "state"):
            await self.state.db.close()
