"""Pure rules behind identity's resource APIs: tag filters, hierarchy, expiry filters."""

from __future__ import annotations

import pytest

from nimbostack.core.errors import ApiError
from nimbostack.identity.api.grants import grant_routes
from nimbostack.identity.api.resource_routes import RESOURCE_ROUTES
from nimbostack.identity.objects.projects import check_tag, descendants, matches_tags
from nimbostack.identity.objects.role_assignments import RoleAssignment, _imply
from nimbostack.identity.objects.users import expiry_filter


def test_tag_filters() -> None:
    tags = ["a", "b"]
    assert matches_tags(tags, {"tags": "a,b"})
    assert not matches_tags(tags, {"tags": "a,c"})
    assert matches_tags(tags, {"tags-any": "c,b"})
    assert not matches_tags(tags, {"not-tags": "a,b"})
    assert matches_tags(tags, {"not-tags": "a,c"})
    assert not matches_tags(tags, {"not-tags-any": "c,a"})
    assert matches_tags([], {})


@pytest.mark.parametrize("tag", ["", "a/b", "a,b", "x" * 256])
def test_bad_tags_are_rejected(tag: str) -> None:
    with pytest.raises(ApiError) as info:
        check_tag(tag)
    assert info.value.status == 400


def test_descendants_walks_the_tree_and_survives_cycles() -> None:
    tree = {"dom": ["p1"], "p1": ["p2", "p3"], "p3": ["p1"]}
    assert sorted(descendants(tree, "dom")) == ["p1", "p2", "p3"]
    assert sorted(descendants(tree, "p1")) == ["p1", "p2", "p3"]
    assert descendants(tree, "p2") == []


def test_expiry_filter() -> None:
    before = expiry_filter("lt:2030-01-01T00:00:00Z")
    assert before(1_000_000.0) and not before(None) and not before(4e9)
    exact = expiry_filter("2030-01-01T00:00:00Z")
    assert exact(1893456000.0)
    with pytest.raises(ApiError):
        expiry_filter("lt:never")


def test_implied_roles_expand_transitively_once() -> None:
    base = RoleAssignment("admin", "user", "u", "project", "p")
    found = _imply([base], {"admin": ["member"], "member": ["reader", "admin"]})
    assert sorted(a.role_id for a in found) == ["admin", "member", "reader"]
    reader = next(a for a in found if a.role_id == "reader")
    assert reader.prior_role_id == "member" and reader.source == base


def test_route_table_has_no_duplicates() -> None:
    keys = [(r.method, r.path) for r in RESOURCE_ROUTES]
    assert len(keys) == len(set(keys))
    paths = {r.path for r in grant_routes()}
    assert "/v3/system/users/{actor_id}/roles/{role_id}" in paths
    assert (
        "/v3/OS-INHERIT/domains/{target_id}/groups/{actor_id}/roles/inherited_to_projects" in paths
    )
