"""Who is asking, and which rows they can see: their own, and what RBAC shares with them.

An admin sees every project's resources. Anyone else sees what their project owns, plus
what an RBAC entry shares with their project or with every project (``*``): networks
``access_as_shared`` or ``access_as_external``, and security groups, subnet pools and
address groups ``access_as_shared``. Visibility is a SQL condition, so a listing never
reads rows it may not return.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import BindParameter, ColumnElement, String, bindparam, exists, or_, true
from sqlalchemy.orm import InstrumentedAttribute

from nimbostack.core.context import RequestContext
from nimbostack.network.db.models import RbacEntry

SHARED = "access_as_shared"
EXTERNAL = "access_as_external"
EVERYONE = "*"


@dataclass(frozen=True)
class Scope:
    """The caller as visibility rules see it: ``is_admin`` sees every project's rows.

    Services (Nova acting for a user, with the service role) see every project's rows
    too, as in Neutron: they act on resources of the projects they serve.
    """

    project_id: str
    is_admin: bool = False

    @classmethod
    def of(cls, context: RequestContext) -> Scope:
        sees_all = context.is_admin or "service" in context.roles
        return cls(context.project_id or "", sees_all)

    @classmethod
    def admin(cls) -> Scope:
        return cls("", True)

    @property
    def params(self) -> dict[str, str]:
        """The value of ``CALLER`` in statements built once for every caller."""
        return {"caller": self.project_id}


# The caller's project in statements built once and run for any caller.
CALLER: BindParameter[str] = bindparam("caller", type_=String)
Project = str | BindParameter[str]


def granted(
    object_type: str,
    object_id: ColumnElement[str] | InstrumentedAttribute[str],
    project_id: Project,
    actions: tuple[str, ...] = (SHARED,),
) -> ColumnElement[bool]:
    """True where an RBAC entry grants ``project_id`` (or everyone) one of ``actions``."""
    return exists().where(
        RbacEntry.object_type == object_type,
        RbacEntry.object_id == object_id,
        RbacEntry.action.in_(actions),
        RbacEntry.target_project.in_([project_id, EVERYONE]),
    )


def owned_or_granted(
    scope: Scope,
    object_type: str,
    id_column: InstrumentedAttribute[str],
    project_column: InstrumentedAttribute[str],
    actions: tuple[str, ...] = (SHARED,),
    *,
    project: Project | None = None,
) -> ColumnElement[bool]:
    """The visibility condition of a resource RBAC can share (``project``: the caller's
    project as a parameter, for statements built once)."""
    if scope.is_admin:
        return true()
    caller = scope.project_id if project is None else project
    return or_(project_column == caller, granted(object_type, id_column, caller, actions))
