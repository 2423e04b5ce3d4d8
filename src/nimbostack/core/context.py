"""The request context: who is asking, in which scope, and which request this is."""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass, field
from typing import Any


def new_request_id() -> str:
    """Return a request id in OpenStack's ``req-<uuid>`` form."""
    return f"req-{uuid.uuid4()}"


@dataclass
class RequestContext:
    """Identity and scope of the caller, carried over HTTP and over the bus.

    ``roles`` holds effective role names. ``system_scope`` is ``"all"`` for a
    system-scoped token and ``None`` otherwise.
    """

    request_id: str = field(default_factory=new_request_id)
    user_id: str | None = None
    user_name: str | None = None
    user_domain_id: str | None = None
    project_id: str | None = None
    project_name: str | None = None
    project_domain_id: str | None = None
    domain_id: str | None = None
    system_scope: str | None = None
    roles: list[str] = field(default_factory=list)
    auth_token: str | None = None
    service_token: str | None = None
    service_roles: list[str] = field(default_factory=list)
    is_admin: bool = False
    trace_id: str | None = None
    span_id: str | None = None
    global_request_id: str | None = None

    @classmethod
    def admin(cls) -> RequestContext:
        """A context for internal work done by the cloud itself."""
        return cls(roles=["admin", "member", "reader"], is_admin=True, system_scope="all")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RequestContext:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)

    def policy_credentials(self) -> dict[str, Any]:
        """The credential dict that policy rules are checked against."""
        return {
            "user_id": self.user_id,
            "project_id": self.project_id,
            "domain_id": self.domain_id,
            "user_domain_id": self.user_domain_id,
            "project_domain_id": self.project_domain_id,
            "system_scope": self.system_scope,
            "roles": list(self.roles),
            "service_roles": list(self.service_roles),
            "is_admin": self.is_admin,
        }
