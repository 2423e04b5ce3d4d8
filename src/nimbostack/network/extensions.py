"""The extension registry: what ``GET /v2.0/extensions`` lists, exactly what is implemented.

Each API resource module declares the extensions it implements in an ``EXTENSIONS``
tuple; the route table gathers them into one ``Registry``, so an extension is listed
only when the module that implements it is served. Aliases and names are Neutron's
(clients look some up by name, e.g. "Availability Zone").
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Extension:
    """One API extension as Neutron describes it."""

    alias: str
    name: str
    description: str
    updated: str

    def view(self) -> dict[str, Any]:
        return {
            "alias": self.alias,
            "name": self.name,
            "description": self.description,
            "updated": self.updated,
            "links": [],
        }


class Registry:
    """Every extension served, by alias; an alias declared twice is a programming error."""

    def __init__(self, extensions: Iterable[Extension]) -> None:
        self._by_alias: dict[str, Extension] = {}
        for ext in extensions:
            if ext.alias in self._by_alias:
                raise ValueError(f"extension {ext.alias!r} is declared twice")
            self._by_alias[ext.alias] = ext

    def __contains__(self, alias: object) -> bool:
        return alias in self._by_alias

    def get(self, alias: str) -> Extension | None:
        return self._by_alias.get(alias)

    def all(self) -> list[Extension]:
        return sorted(self._by_alias.values(), key=lambda e: e.alias)
