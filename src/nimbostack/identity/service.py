"""The identity service: its token keys and the API on [identity] port."""

from __future__ import annotations

import asyncio
from pathlib import Path

from nimbostack.core.api.errorbody import keystone_error
from nimbostack.core.auth.policy import RuleDefault
from nimbostack.core.auth.tokens import TokenValidator
from nimbostack.core.service import Api, Schema, Service
from nimbostack.identity import options as _options  # noqa: F401
from nimbostack.identity import policies
from nimbostack.identity.api.routes import ROUTES
from nimbostack.identity.db.models import Base
from nimbostack.identity.state import IdentityState
from nimbostack.identity.tokens.keys import KeyRepository
from nimbostack.identity.tokens.provider import LocalTokenValidator

MIGRATIONS = Path(__file__).parent / "db" / "migrations"
API = Api("identity", ROUTES, keystone_error)


class IdentityService(Service[IdentityState]):
    """Keystone v3 on [identity] port."""

    name = "identity"
    schema = Schema(Base.metadata, MIGRATIONS)
    apis = (API,)

    def policy_rules(self) -> list[RuleDefault]:
        return policies.rules()

    async def build_state(self) -> IdentityState:
        rt = self.runtime
        key_dir = Path(rt.conf.identity.key_repository or rt.data_dir / "identity" / "fernet-keys")
        keys = KeyRepository(key_dir, rt.conf.identity.max_active_keys)
        await asyncio.to_thread(keys.ensure)
        # Credential keys are never rotated automatically: rotating would need re-encryption.
        secret_keys = KeyRepository(key_dir.parent / "credential-keys")
        await asyncio.to_thread(secret_keys.ensure)
        return IdentityState(
            conf=rt.conf,
            db=self.database,
            enforcer=self.enforcer,
            keys=keys,
            fernet=keys.load(),
            public_url=rt.url("identity"),
            secrets=secret_keys.load(),
        )

    def token_validator(self) -> TokenValidator:
        """Identity checks its own tokens in-process."""
        return LocalTokenValidator(self.state)
