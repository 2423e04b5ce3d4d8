"""Tables of Keystone's smaller APIs: credentials, policies, endpoint groups, domain
configuration and OAuth1 consumers (they share ``models.Base``, hence one migration head).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from nimbostack.identity.db.models import ID, Base

__all__ = [
    "Base",
    "Consumer",
    "Credential",
    "DomainConfigOption",
    "EndpointGroup",
    "Policy",
    "ProjectEndpointGroup",
]


class Credential(Base):
    """A user's secret blob (EC2 keys, TOTP seeds...), Fernet-encrypted at rest."""

    __tablename__ = "credentials"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    user_id: Mapped[str] = mapped_column(ID, ForeignKey("users.id", ondelete="CASCADE"), index=True)
    project_id: Mapped[str | None] = mapped_column(ID, index=True)
    type: Mapped[str] = mapped_column(String(255))
    encrypted_blob: Mapped[str] = mapped_column(Text)
    extra: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Policy(Base):
    """A legacy policy blob: stored and served, never enforced."""

    __tablename__ = "policies"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    type: Mapped[str] = mapped_column(String(255))
    blob: Mapped[str] = mapped_column(Text)
    extra: Mapped[dict[str, Any]] = mapped_column(default=dict)


class EndpointGroup(Base):
    """A named filter over endpoints (OS-EP-FILTER)."""

    __tablename__ = "endpoint_groups"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)
    filters: Mapped[dict[str, Any]] = mapped_column(default=dict)


class ProjectEndpointGroup(Base):
    __tablename__ = "project_endpoint_groups"
    endpoint_group_id: Mapped[str] = mapped_column(
        ID, ForeignKey("endpoint_groups.id", ondelete="CASCADE"), primary_key=True
    )
    project_id: Mapped[str] = mapped_column(
        ID, ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class DomainConfigOption(Base):
    """One option of a domain-specific configuration; ``value`` is any JSON value."""

    __tablename__ = "domain_config"
    domain_id: Mapped[str] = mapped_column(
        ID, ForeignKey("domains.id", ondelete="CASCADE"), primary_key=True
    )
    group: Mapped[str] = mapped_column(String(255), primary_key=True)
    option: Mapped[str] = mapped_column(String(255), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)


class Consumer(Base):
    """An OAuth1 consumer; its secret is Fernet-encrypted like credential blobs."""

    __tablename__ = "oauth_consumers"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    description: Mapped[str | None] = mapped_column(Text)
    encrypted_secret: Mapped[str] = mapped_column(Text)
    extra: Mapped[dict[str, Any]] = mapped_column(default=dict)
