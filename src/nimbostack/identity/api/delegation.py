"""Limits on a token from an application credential when it manages credentials.

Such a token acts with the credential's roles only, so it must not mint anything that
would carry more (Keystone's rules): a restricted credential manages no application
credentials and no EC2 keys, and any credential's token keeps to its own project.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from nimbostack.core.api.request import ApiRequest
from nimbostack.core.errors import Forbidden, Unauthorized
from nimbostack.identity.db.models import ApplicationCredential
from nimbostack.identity.state import state_of
from nimbostack.identity.tokens.formats import unseal

_DENIED = "You are not authorized to perform the requested action: {action}."


async def token_app_cred(req: ApiRequest, session: AsyncSession) -> ApplicationCredential | None:
    """The application credential the request's token was issued from, if any."""
    token = req.context.auth_token
    if not token:
        return None
    # The token is already validated; its payload says how it was obtained.
    payload = unseal(token, state_of(req).fernet)
    if payload.app_cred_id is None:
        return None
    cred = await session.get(ApplicationCredential, payload.app_cred_id)
    if cred is None:  # deleted since the token was validated
        raise Unauthorized("The request you have made requires authentication.")
    return cred


def forbid_restricted(cred: ApplicationCredential | None, what: str) -> None:
    """Refuse a restricted credential's token the management of ``what``."""
    if cred is not None and not cred.unrestricted:
        action = (
            f"Using method 'application_credential' is not allowed for managing additional {what}"
        )
        raise Forbidden(_DENIED.format(action=action))


def in_project(cred: ApplicationCredential | None, project_id: str | None) -> bool:
    """Whether a credential's token may act on something of ``project_id``.

    Things without a project (a user's TOTP seed, say) are out of every project.
    """
    return cred is None or project_id == cred.project_id


def check_project(cred: ApplicationCredential | None, project_id: str | None, what: str) -> None:
    if not in_project(cred, project_id):
        action = f"{what} project does not match the project scope of the delegated token"
        raise Forbidden(_DENIED.format(action=action))
