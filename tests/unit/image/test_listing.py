"""Parsing of the image list query string."""

from __future__ import annotations

import pytest
from starlette.datastructures import QueryParams

from nimbostack.core import config
from nimbostack.core.errors import BadRequest
from nimbostack.image import options as _options  # noqa: F401
from nimbostack.image.api.listing import parse_query


def _parse(query: str) -> object:
    return parse_query(QueryParams(query), config.load(None, environ={}).image)


def test_filters_and_sort() -> None:
    q = _parse("name=in:a,b&tag=x&tag=y&size_min=5&sort=name:asc,size&os_distro=cirros")
    assert q.columns == {"name": ["a", "b"]}  # type: ignore[attr-defined]
    assert q.tags == ["x", "y"]  # type: ignore[attr-defined]
    assert q.ranges == [("size", "gte", 5)]  # type: ignore[attr-defined]
    assert q.sort == [("name", "asc"), ("size", "desc")]  # type: ignore[attr-defined]
    assert q.properties == {"os_distro": "cirros"}  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("sort_key=nope", "Invalid sort key"),
        ("sort_dir=up", "Invalid sort direction"),
        ("sort=name&sort_key=size", "cannot be combined"),
        ("limit=-1", "must not be negative"),
        ("visibility=secret", "Invalid visibility"),
        ("member_status=maybe", "Invalid member_status"),
        ("os_hidden=perhaps", "true or false"),
        ("updated_at=lt:soon", "ISO 8601"),
    ],
)
def test_bad_queries(query: str, message: str) -> None:
    with pytest.raises(BadRequest, match=message):
        _parse(query)
