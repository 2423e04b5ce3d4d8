"""Keyset pagination (core.db.paging) on a real table, on SQLite and on PostgreSQL.

Each walk pages through every row, forwards or backwards, and must see each row once and
in the same order as one unpaged ORDER BY (NULLs first when ascending).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Integer, String, create_engine, insert, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from nimbostack.core.db import Database
from nimbostack.core.db.engine import normalize_url, sqlite_url
from nimbostack.core.db.paging import Page, SortKey, parse_limit, parse_sort
from nimbostack.core.errors import BadRequest, NotFound
from tests.support.fixtures import postgres_server
from tests.support.postgres import PostgresCluster

__all__ = ["postgres_server"]


class Base(DeclarativeBase):
    pass


class Item(Base):
    __tablename__ = "items"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(20))
    size: Mapped[int | None] = mapped_column(Integer)


SORTABLE: dict[str, Any] = {"id": Item.id, "name": Item.name, "size": Item.size}


def _rows() -> list[dict[str, Any]]:
    # Repeated names and sizes, and NULL sizes, so ties and NULLs are both exercised.
    return [
        {"id": str(uuid.UUID(int=n)), "name": f"n{n % 4}", "size": None if n % 5 == 0 else n % 3}
        for n in range(1, 38)
    ]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    if request.param == "sqlite":
        url = sqlite_url(tmp_path / "paging.sqlite")
    else:
        cluster: PostgresCluster = request.getfixturevalue("postgres_server")
        name = f"paging_{uuid.uuid4().hex[:8]}"
        url = cluster.create_database(name)
        request.addfinalizer(lambda: cluster.drop_database(name))
    setup = create_engine(normalize_url(url, sync=True))
    with setup.begin() as conn:
        Base.metadata.create_all(conn)
        conn.execute(insert(Item), _rows())
    setup.dispose()
    database = Database(url)
    yield database
    await database.close()


async def _ids(s: AsyncSession, page: Page) -> list[str]:
    stmt = await page.apply(s, select(Item.id))
    return page.finish([row.id for row in (await s.execute(stmt)).all()])


async def _walk(db: Database, sort: list[SortKey], limit: int, *, reverse: bool) -> list[str]:
    seen: list[str] = []
    marker: str | None = None
    async with db.reader() as s:
        expected = await _ids(s, Page(Item.id, sort, None))
        if reverse:
            marker = expected[-1]
            seen = [marker]
        for _ in range(len(expected) + 2):
            batch = await _ids(s, Page(Item.id, sort, limit, marker, reverse=reverse))
            if not batch:
                break
            seen = batch + seen if reverse else seen + batch
            marker = batch[0] if reverse else batch[-1]
    assert seen == expected
    return seen


SORTS = [
    [],
    [("name", "asc")],
    [("size", "asc"), ("name", "desc")],
    [("size", "desc")],
    [("name", "desc"), ("size", "asc"), ("id", "desc")],
]


@pytest.mark.parametrize("sort", SORTS, ids=str)
@pytest.mark.parametrize("limit", [1, 4, 7, 50])
async def test_forward_pages_cover_every_row_once(
    db: Database, sort: list[tuple[str, str]], limit: int
) -> None:
    keys = parse_sort([k for k, _ in sort], [d for _, d in sort], SORTABLE)
    seen = await _walk(db, keys, limit, reverse=False)
    assert len(seen) == len(set(seen)) == 37


@pytest.mark.parametrize("sort", SORTS, ids=str)
async def test_reverse_pages_cover_every_row_once(
    db: Database, sort: list[tuple[str, str]]
) -> None:
    keys = parse_sort([k for k, _ in sort], [d for _, d in sort], SORTABLE)
    seen = await _walk(db, keys, 5, reverse=True)
    assert len(set(seen)) == 37


async def test_nulls_sort_first_ascending_and_last_descending(db: Database) -> None:
    async with db.reader() as s:
        for direction, first_is_null in (("asc", True), ("desc", False)):
            page = Page(Item.id, parse_sort(["size"], [direction], SORTABLE), None)
            stmt = await page.apply(s, select(Item.size))
            sizes = [row.size for row in (await s.execute(stmt)).all()]
            assert (sizes[0] is None) is first_is_null
            assert (sizes[-1] is None) is not first_is_null


async def test_a_marker_outside_the_filter_is_unknown(db: Database) -> None:
    hidden = str(uuid.UUID(int=2))  # name n2
    async with db.reader() as s:
        visible = select(Item.id).where(Item.name == "n1")
        with pytest.raises(BadRequest, match=f"Marker {hidden} could not be found."):
            await Page(Item.id, [], 2, hidden).apply(s, visible)


async def test_a_missing_marker_can_raise_the_api_s_own_error(db: Database) -> None:
    async with db.reader() as s:
        page = Page(Item.id, [], 2, "nope", marker_error=lambda m: NotFound(f"{m} gone"))
        with pytest.raises(NotFound, match="nope gone"):
            await page.apply(s, select(Item.id))


@pytest.mark.parametrize("raw", ["-1", "x", "1.5"])
def test_a_bad_limit_is_a_400(raw: str) -> None:
    with pytest.raises(BadRequest, match=f"Limit must be an integer 0 or greater and not '{raw}'"):
        parse_limit(raw)


def test_limits_absent_zero_and_capped() -> None:
    assert parse_limit(None) is None
    assert parse_limit("0") is None
    assert parse_limit("7") == 7
    assert parse_limit("0", max_limit=5) == 5
    assert parse_limit("9", max_limit=5) == 5


def test_bad_sorts_are_400s() -> None:
    with pytest.raises(BadRequest, match=r"\['colour'\] is invalid attribute for sort_keys"):
        parse_sort(["colour"], ["asc"], SORTABLE)
    with pytest.raises(BadRequest, match="is invalid value for sort_dirs"):
        parse_sort(["name"], ["up"], SORTABLE)
    with pytest.raises(BadRequest, match="The number of sort_keys and sort_dirs must be same"):
        parse_sort(["name", "size"], ["asc"], SORTABLE)
    assert [k.ascending for k in parse_sort(["name"], [], SORTABLE, default_dir="desc")] == [False]
