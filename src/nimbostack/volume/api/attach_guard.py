"""Who may tear down a live attachment (OSSA-2023-003): compute, or nobody while it is live.

Deleting an attachment whose volume a server still has connected leaves the device on
the compute host, where the next volume to take its place can be read through it. So
a request without a service token (``X-Service-Token`` with one of the
``service_token_roles``) may delete an attachment only when no server uses it: it
names no server, holds no connection, or compute says the server (or its attachment
of the volume) is gone. Otherwise the answer is 409, as Cinder's.
"""

from __future__ import annotations

import logging
from typing import Any

from nimbostack.clients.compute import ComputeError
from nimbostack.core.api.request import ApiRequest
from nimbostack.core.errors import Conflict, ServiceUnavailable
from nimbostack.volume.db.models import Attachment
from nimbostack.volume.state import VolumeState

LOG = logging.getLogger(__name__)


def is_service_request(req: ApiRequest, state: VolumeState) -> bool:
    wanted = {str(r).lower() for r in state.options.service_token_roles}
    return bool(wanted & {r.lower() for r in req.context.service_roles})


# Keys of connection_info data only a service may read: whoever holds them can reach
# the volume's data over the network (an NBD export's pre-shared key).
SECRET_KEYS = ("tls_psk_key",)


def without_secrets(info: dict[str, Any]) -> dict[str, Any]:
    """``connection_info`` (flat, or with ``data``) as a caller without a service token
    sees it: secrets are left out."""
    shown = {k: v for k, v in info.items() if k not in SECRET_KEYS}
    if isinstance(shown.get("data"), dict):
        shown["data"] = without_secrets(shown["data"])
    return shown


def _refuse(server_id: str) -> Conflict:
    return Conflict(f"Detach volume from instance {server_id} using the Compute API")


async def check_deletion_allowed(
    req: ApiRequest, state: VolumeState, attachment: Attachment | None, others: int = 0
) -> None:
    """Raise Conflict unless the caller may delete ``attachment`` now.

    ``attachment`` None stands for "the volume's only attachment" when it has none
    (``others`` == 0: nothing to protect) or several (refused, as Cinder does).
    """
    if is_service_request(req, state):
        return
    if attachment is None:
        if others == 0:
            return
        raise _refuse("")
    server_id = attachment.instance_uuid
    if not server_id or not attachment.connection_info:
        return
    if not await _server_still_uses(state, server_id, attachment):
        return
    LOG.warning("refused a user's delete of live attachment %s", attachment.id)
    raise _refuse(server_id)


async def _server_still_uses(state: VolumeState, server_id: str, attachment: Attachment) -> bool:
    try:
        compute = await state.service_compute()
        try:
            found = await compute.get_volume_attachment(server_id, attachment.volume_id)
        except ComputeError as exc:
            if exc.status != 404:
                raise
            await compute.get_server(server_id)  # 404: the server is gone
            return True  # the server exists but cannot say: assume it is in use
        return str(found.get("attachment_id") or attachment.id) == attachment.id
    except ComputeError as exc:
        if exc.status == 404:
            return False
        raise ServiceUnavailable(f"Compute could not confirm the attachment: {exc}") from None
    except Exception as exc:
        raise ServiceUnavailable(f"Compute cannot be reached: {exc}") from None
