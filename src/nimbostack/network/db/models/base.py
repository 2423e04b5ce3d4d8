"""The declarative base of the networking tables and the columns every resource shares.

Neutron keeps its "standard attributes" (description, revision number, timestamps) in
a table of their own joined to each resource; here they are columns of each resource's
row, so a listing reads one table and a revision bump is one UPDATE.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Float, Integer, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

UUID = String(36)
PROJECT = String(255)
NAME = String(255)
IP = String(64)  # an address in its canonical text form (IPv6 compressed)
CIDR = String(64)


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON, list[str]: JSON}


class StandardAttrs:
    """Description, revision number and timestamps (standard-attr-* extensions)."""

    description: Mapped[str] = mapped_column(String(255), default="")
    revision_number: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[float] = mapped_column(Float)


class Owned(StandardAttrs):
    """A resource with an id, a name and an owning project."""

    id: Mapped[str] = mapped_column(UUID, primary_key=True)
    project_id: Mapped[str] = mapped_column(PROJECT, index=True)
    name: Mapped[str] = mapped_column(NAME, default="")
