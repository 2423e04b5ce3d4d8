"""JSON built by the database: objects, arrays of related rows, booleans and timestamps.

Rendering a listing's items in SQL (SQLite's ``json_object`` and ``json_group_array``,
PostgreSQL's ``json_build_object`` and ``json_agg``) costs the database a few
microseconds per item in C, where building the same dicts in Python and encoding them
costs several times more; ten thousand ports are one statement and one string join.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, String, case, func, literal, literal_column
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.ext.asyncio import AsyncSession

Pairs = Sequence[tuple[str, Any]]
# Seconds since the epoch as OpenStack shows them: 2026-11-21T10:00:00Z.
_SQLITE_TIME = "%Y-%m-%dT%H:%M:%SZ"
_POSTGRES_TIME = 'YYYY-MM-DD"T"HH24:MI:SS"Z"'


class Json:
    """JSON expressions in one database's dialect."""

    def __init__(self, dialect: str) -> None:
        self.postgres = dialect == "postgresql"

    @classmethod
    def of(cls, s: AsyncSession) -> Json:
        return cls(s.get_bind().dialect.name)

    def obj(self, pairs: Pairs) -> ColumnElement[Any]:
        """``{key: value, ...}`` in the given key order."""
        args: list[Any] = []
        for key, value in pairs:
            # Keys are names from the code, written into the SQL (no bound parameter each).
            args += [literal_column(f"'{key}'", String), value]
        if self.postgres:
            return func.json_build_object(*args)
        return func.json_object(*args)

    def array(self, element: Any, rows: Select[Any]) -> ColumnElement[Any]:
        """The JSON array of ``element`` over ``rows`` (a correlated select), ``[]`` if none.

        The order is the order the rows are read in; the callers' indexes make it the
        order they want (PostgreSQL sorts by the select's ORDER BY).
        """
        if self.postgres:
            order = list(rows._order_by_clauses)
            agg = func.json_agg(aggregate_order_by(element, *order) if order else element)
            empty = func.coalesce(agg, literal_column("'[]'::json"))
            return rows.with_only_columns(empty).order_by(None).scalar_subquery()
        grouped = func.json_group_array(element)
        return func.json(rows.with_only_columns(grouped).order_by(None).scalar_subquery())

    def sparse_array(
        self, element: Any, rows: Select[Any], candidates: Select[Any]
    ) -> ColumnElement[Any]:
        """``array`` for a collection most items lack: while no row of ``candidates``
        (an uncorrelated select of every row that could belong) exists, ``[]`` without
        looking per item; the database evaluates that check once per statement."""
        anything = candidates.with_only_columns(literal(1)).limit(1).scalar_subquery()
        nothing = literal_column("'[]'::json") if self.postgres else func.json("[]")
        return case((anything.is_(None), nothing), else_=self.array(element, rows))

    def boolean(self, expr: Any) -> ColumnElement[Any]:
        if self.postgres:
            return expr  # type: ignore[no-any-return]
        return func.json(case((expr, "true"), else_="false"))

    def stored(self, column: Any) -> ColumnElement[Any]:
        """A JSON column's value as JSON (SQLite keeps it as text)."""
        if self.postgres:
            return column  # type: ignore[no-any-return]
        return func.json(column)

    def timestamp(self, column: Any) -> ColumnElement[Any]:
        if self.postgres:
            utc = func.timezone("UTC", func.to_timestamp(column))
            return func.to_char(utc, _POSTGRES_TIME)
        return func.strftime(_SQLITE_TIME, column, "unixepoch")

    def text(self, expr: ColumnElement[Any]) -> ColumnElement[Any]:
        """The rendered JSON as text (PostgreSQL hands JSON back parsed otherwise)."""
        return expr.cast(String) if self.postgres else expr
