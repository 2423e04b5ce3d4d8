"""The metadata API's route table; see ``handlers`` for the paths it serves.

Every route is public: guests have no tokens. The handlers trust only an instance id
signed by the metadata proxy (see ``handlers.identify``).
"""

from __future__ import annotations

from nimbostack.compute.metadata.handlers import serve
from nimbostack.core.api.app import Route

ROUTES: list[Route] = [
    Route("GET", "/", serve, public=True),
    Route("GET", "/{path:path}", serve, public=True),
]
