"""Turns one provider tree into allocation requests for a set of request groups.

Pure Python over data the candidate query loaded: no database here. The unnamed group
may take each resource class from a different provider of the tree; a numbered group
must be served by one provider; ``isolate`` keeps numbered groups on distinct providers.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field

Allocs = dict[int, dict[int, int]]  # provider id → class id → amount


@dataclass
class Slot:
    """What is left of one class on one provider, and the unit rules for taking it."""

    free: int
    min_unit: int = 1
    max_unit: int = 2147483647
    step_size: int = 1

    def fits(self, amount: int) -> bool:
        return (
            self.min_unit <= amount <= self.max_unit
            and amount % self.step_size == 0
            and amount <= self.free
        )


@dataclass
class TreeProvider:
    """One provider of a candidate tree, with the facts the filters need."""

    id: int
    slots: dict[int, Slot] = field(default_factory=dict)
    traits: set[int] = field(default_factory=set)
    aggregates: set[str] = field(default_factory=set)


@dataclass
class Group:
    """A request group with classes and traits resolved to ids."""

    suffix: str
    resources: dict[int, int]
    required: set[int] = field(default_factory=set)
    any_of: list[set[int]] = field(default_factory=list)
    forbidden: set[int] = field(default_factory=set)
    member_of: list[set[str]] = field(default_factory=list)
    forbidden_aggs: set[str] = field(default_factory=set)


@dataclass
class Candidate:
    allocations: Allocs
    mappings: dict[str, list[int]]


def _traits_ok(traits: set[int], g: Group) -> bool:
    return g.required <= traits and all(any_ & traits for any_ in g.any_of)


def _provider_ok(p: TreeProvider, g: Group, with_required: bool) -> bool:
    if g.forbidden & p.traits or g.forbidden_aggs & p.aggregates:
        return False
    if not all(members & p.aggregates for members in g.member_of):
        return False
    return not with_required or _traits_ok(p.traits, g)


def _options(tree: list[TreeProvider], g: Group, cap: int) -> list[Allocs]:
    """Every way this group alone could be served by the tree (at most ``cap``)."""
    if g.suffix:
        return [
            {p.id: dict(g.resources)}
            for p in tree
            if _provider_ok(p, g, True)
            and all(rc in p.slots and p.slots[rc].fits(n) for rc, n in g.resources.items())
        ]
    per_class = [
        [
            (p.id, rc, n)
            for p in tree
            if rc in p.slots and p.slots[rc].fits(n) and _provider_ok(p, g, False)
        ]
        for rc, n in g.resources.items()
    ]
    options: list[Allocs] = []
    for combo in itertools.islice(itertools.product(*per_class), cap):
        allocs: Allocs = {}
        for pid, rc, n in combo:
            allocs.setdefault(pid, {})[rc] = n
        options.append(allocs)
    return options


def _merge(parts: tuple[Allocs, ...]) -> Allocs:
    merged: Allocs = {}
    for part in parts:
        for pid, resources in part.items():
            target = merged.setdefault(pid, {})
            for rc, n in resources.items():
                target[rc] = target.get(rc, 0) + n
    return merged


def _acceptable(
    parts: tuple[Allocs, ...], groups: list[Group], by_id: dict[int, TreeProvider], isolate: bool
) -> Allocs | None:
    if isolate:
        numbered = [set(part) for part, g in zip(parts, groups, strict=True) if g.suffix]
        if sum(len(p) for p in numbered) != len(set().union(*numbered)):
            return None
    merged = _merge(parts)
    for pid, resources in merged.items():
        if not all(by_id[pid].slots[rc].free >= n for rc, n in resources.items()):
            return None
    traits = set().union(*(by_id[pid].traits for pid in merged))
    if not all(_traits_ok(traits, g) for g in groups if not g.suffix):
        return None
    return merged


def tree_candidates(
    tree: list[TreeProvider], groups: list[Group], isolate: bool, cap: int
) -> Iterator[Candidate]:
    """Allocation requests this tree can satisfy, without duplicates."""
    by_id = {p.id: p for p in tree}
    options = [_options(tree, g, cap) for g in groups]
    seen: set[frozenset[tuple[int, int, int]]] = set()
    for parts in itertools.islice(itertools.product(*options), cap * 4):
        merged = _acceptable(parts, groups, by_id, isolate)
        if merged is None:
            continue
        key = frozenset((p, rc, n) for p, res in merged.items() for rc, n in res.items())
        if key in seen:
            continue
        seen.add(key)
        mappings = {g.suffix: sorted(part) for part, g in zip(parts, groups, strict=True)}
        yield Candidate(merged, mappings)
