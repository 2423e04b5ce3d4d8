"""The compute processes' own identity: the service user every service shares.

The code lives in ``clients/service_auth.py`` (block storage logs in the same way);
compute's modules keep importing it from here.
"""

from __future__ import annotations

from nimbostack.clients.service_auth import (
    SERVICE_PROJECT,
    SERVICE_USER,
    Auth,
    PasswordAuth,
    StaticAuth,
    service_auth,
)

__all__ = ["SERVICE_PROJECT", "SERVICE_USER", "Auth", "PasswordAuth", "StaticAuth", "service_auth"]
