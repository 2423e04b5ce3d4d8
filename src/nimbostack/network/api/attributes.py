"""Request bodies of a resource, declared once: which attributes, writable when, how checked.

``Body.create`` reads ``{"network": {...}}`` or a bulk ``{"networks": [...]}``;
``Body.update`` reads ``{"network": {...}}``. Both reject unknown attributes, attributes
not writable by that method, and bad values with Neutron's 400 messages, and fill
``project_id``/``tenant_id`` from the caller (an admin may name another project).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.responses import Response

from nimbostack.core.api.request import ApiRequest
from nimbostack.core.api.responses import json_response
from nimbostack.network.api.validators import Convert, string, uuid_str
from nimbostack.network.errors import HTTPBadRequest


class _Missing:
    def __repr__(self) -> str:
        return "REQUIRED"


REQUIRED: Any = _Missing()
UNSET: Any = object()  # optional, and absent from the parsed body when not given


def _same(value: Any) -> Any:
    return value


@dataclass(frozen=True)
class Attr:
    """One writable attribute: how it is converted, its default, who may set it."""

    name: str
    convert: Convert = _same
    default: Any = UNSET
    post: bool = True
    put: bool = False
    policy: bool = False  # guarded by create_<r>:<name> / update_<r>:<name>
    policy_keys: tuple[str, ...] = ()  # entry keys guarded by create_<r>:<name>:<key>...
    shown_by_policy: bool = False  # shown only to whom get_<r>:<name> allows


def standard(put: bool = True) -> tuple[Attr, ...]:
    """``name`` and ``description``, which most resources share."""
    return (
        Attr("name", string(255), "", put=put),
        Attr("description", string(255), "", put=put),
    )


def read_only(*names: str, shown_by_policy: bool = False) -> tuple[Attr, ...]:
    """Attributes a resource shows but no request may set."""
    return tuple(Attr(name, post=False, shown_by_policy=shown_by_policy) for name in names)


STANDARD_READ_ONLY = read_only("created_at", "updated_at", "revision_number")
OWNER = (
    # An owner is never empty: a record of project "" would belong to nobody.
    Attr("project_id", string(255, min_len=1), UNSET),
    Attr("tenant_id", string(255, min_len=1), UNSET),
)


@dataclass(frozen=True)
class Body:
    """The attributes a resource's POST and PUT bodies may carry."""

    singular: str
    plural: str
    attrs: tuple[Attr, ...]
    bulk: bool = True

    def attr(self, name: str) -> Attr | None:
        return next((a for a in self.attrs if a.name == name), None)

    def guarded(self, action: str) -> tuple[Attr, ...]:
        """The attributes with a rule of their own for ``action``: create, update or get."""
        if action == "get":
            return tuple(a for a in self.attrs if a.shown_by_policy)
        if action == "update":
            return tuple(a for a in self.attrs if a.policy and a.put)
        return tuple(a for a in self.attrs if a.policy and a.post)

    async def create(self, req: ApiRequest) -> tuple[list[dict[str, Any]], bool]:
        """The parsed items, and whether they came as a bulk (plural) body."""
        body = await _object(req)
        bulk = self.plural in body and self.bulk
        if bulk:
            items = body[self.plural]
            if not isinstance(items, list) or not items:
                raise HTTPBadRequest("Resources required")
            if len(body) != 1:
                raise HTTPBadRequest("Body contains invalid data")
        elif self.singular in body and len(body) == 1:
            items = [body[self.singular]]
        else:
            raise HTTPBadRequest(f"Unable to find '{self.singular}' in request body")
        return [self._create_item(req, item) for item in items], bulk

    def created(self, views: list[dict[str, Any]], bulk: bool) -> Response:
        """The 201 answer of a create: one resource, or the list of a bulk create."""
        if bulk:
            return json_response({self.plural: views}, 201)
        return json_response({self.singular: views[0]}, 201)

    def _create_item(self, req: ApiRequest, item: Any) -> dict[str, Any]:
        if not isinstance(item, dict):
            raise HTTPBadRequest(f"Object '{self.singular}' contains invalid data")
        self._known(item)
        parsed: dict[str, Any] = {}
        for attr in self.attrs:
            if attr.name in item:
                if not attr.post:
                    raise HTTPBadRequest(f"Attribute '{attr.name}' not allowed in POST")
                parsed[attr.name] = _convert(attr, item[attr.name])
            elif attr.default is REQUIRED:
                raise HTTPBadRequest(
                    f"Failed to parse request. Required attribute '{attr.name}' not specified"
                )
            elif attr.default is not UNSET and attr.post:
                parsed[attr.name] = attr.default
        if any(a.name == "project_id" for a in self.attrs):
            _owner(req, parsed)
        return parsed

    async def update(self, req: ApiRequest) -> dict[str, Any]:
        body = await _object(req)
        item = body.get(self.singular)
        if len(body) != 1 or not isinstance(item, dict):
            raise HTTPBadRequest(f"Unable to find '{self.singular}' in request body")
        self._known(item)
        parsed: dict[str, Any] = {}
        for name, value in item.items():
            attr = self.attr(name)
            if attr is None or not attr.put:
                raise HTTPBadRequest(f"Cannot update read-only attribute {name}")
            parsed[name] = _convert(attr, value)
        return parsed

    def _known(self, item: dict[str, Any]) -> None:
        known = {a.name for a in self.attrs}
        extra = sorted(set(item) - known)
        if extra:
            raise HTTPBadRequest(f"Unrecognized attribute(s) '{', '.join(extra)}'")

    def set_explicitly(self, item: dict[str, Any], name: str) -> bool:
        """Whether a create set ``name`` to something else than its default (policy)."""
        attr = self.attr(name)
        if attr is None or name not in item:
            return False
        return attr.default in (UNSET, REQUIRED) or item[name] != attr.default


async def _object(req: ApiRequest) -> dict[str, Any]:
    body = await req.json()
    if not isinstance(body, dict):
        raise HTTPBadRequest("Body contains invalid data")
    return body


def _convert(attr: Attr, value: Any) -> Any:
    try:
        return attr.convert(value)
    except ValueError as exc:
        raise HTTPBadRequest(f"Invalid input for {attr.name}. Reason: {exc}.") from None


def _owner(req: ApiRequest, item: dict[str, Any]) -> None:
    """Fill project_id and tenant_id; they must agree, and be the caller's unless admin."""
    if "tenant_id" in item and "project_id" not in item:
        item["project_id"] = item["tenant_id"]
    item.setdefault("tenant_id", item.get("project_id"))
    if item.get("project_id") != item.get("tenant_id"):
        raise HTTPBadRequest("'project_id' and 'tenant_id' do not match")
    context = req.context
    if item.get("project_id") is None:
        if not context.project_id:
            raise HTTPBadRequest(
                "Running without keystone AuthN requires that project_id is specified"
            )
        item["project_id"] = item["tenant_id"] = context.project_id
    elif item["project_id"] != context.project_id and not context.is_admin:
        raise HTTPBadRequest(
            "Specifying 'project_id' other than the authenticated project in request "
            "is not allowed for the current user."
        )
    del item["tenant_id"]


ID = Attr("id", uuid_str, post=False)
