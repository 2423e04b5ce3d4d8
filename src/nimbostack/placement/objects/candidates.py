"""Allocation candidates: which provider trees can serve a request, found in SQL.

One aggregate query per request group returns the roots of trees that could serve
it (capacity, traits and aggregates evaluated by the database, usage summed per
class); only the first trees, in chunks, are then loaded in detail and combined in
Python (combine.py). A request with a limit thus touches a few hundred rows however
many providers exist.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Select, bindparam, exists, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from nimbostack.placement.db.models import (
    Inventory,
    ProviderAggregate,
    ProviderTrait,
    ResourceProvider,
)
from nimbostack.placement.objects import names
from nimbostack.placement.objects.combine import (
    Candidate,
    Group,
    Slot,
    TreeProvider,
    tree_candidates,
)
from nimbostack.placement.objects.filters import (
    RequestGroup,
    aggregates,
    has_capacity,
    has_trait,
    provider_conditions,
    provider_traits,
    used_of,
)

RP = ResourceProvider
_CHUNK = 500


@dataclass
class Query:
    """A whole GET /allocation_candidates request, parsed."""

    groups: dict[str, RequestGroup]
    isolate: bool = False
    in_tree: str | None = None
    limit: int | None = None


@dataclass
class Result:
    """Allocation requests (provider id → class id → amount) and the trees they use."""

    candidates: list[Candidate] = field(default_factory=list)
    providers: dict[int, TreeProvider] = field(default_factory=dict)


async def find(s: AsyncSession, q: Query, cap: int) -> tuple[Result, dict[str, int]]:
    """Candidates for ``q``; also returns the class ids of the request."""
    classes = await names.class_ids(s, {rc for g in q.groups.values() for rc in g.resources})
    traits = await names.trait_ids(s, {t for g in q.groups.values() for t in g.trait_names()})
    tree_root: int | None = None
    if q.in_tree is not None:
        tree_root = await s.scalar(select(RP.root_provider_id).where(RP.uuid == q.in_tree))
        if tree_root is None:
            return Result(), classes
    groups = [_resolve(g, classes, traits) for _, g in sorted(q.groups.items())]
    want = min(q.limit or cap, cap)
    step = min(max(want * 2, 50), _CHUNK)
    result = Result()
    async for chunk in _root_pages(s, q, classes, traits, tree_root, step):
        trees = await _load_trees(s, chunk, classes, traits, q)
        for tree in trees.values():
            for cand in tree_candidates(tree, groups, q.isolate, want):
                result.candidates.append(cand)
                result.providers.update((p.id, p) for p in tree)
                if len(result.candidates) >= want:
                    return result, classes
    return result, classes


def _resolve(g: RequestGroup, classes: dict[str, int], traits: dict[str, int]) -> Group:
    return Group(
        suffix=g.suffix,
        resources={classes[rc]: n for rc, n in g.resources.items()},
        required={traits[t] for t in g.required},
        any_of=[{traits[t] for t in any_} for any_ in g.any_of],
        forbidden={traits[t] for t in g.forbidden},
        member_of=g.member_of,
        forbidden_aggs=g.forbidden_aggs,
    )


async def _root_pages(  # noqa: PLR0917
    s: AsyncSession,
    q: Query,
    classes: dict[str, int],
    traits: dict[str, int],
    tree_root: int | None,
    step: int,
) -> AsyncIterator[list[int]]:
    """Roots of the trees that pass every group's necessary conditions, in id order.

    The database walks roots in id order and stops after ``step`` matches (keyset
    pages), so a small limit never makes it visit every provider.
    """
    page = _roots_statement(q, classes, traits, tree_root is not None, step)
    last = 0
    while True:
        params = {"last": last, "tree_root": tree_root}
        roots = list((await s.scalars(page, params)).all())
        if roots:
            yield roots
        if len(roots) < step:
            return
        last = roots[-1]


# Building the roots query (dozens of EXISTS clauses) costs more than running it; the
# scheduler asks the same few shapes over and over, so the statements are kept.
_ROOT_QUERIES: OrderedDict[tuple[Any, ...], Select[int]] = OrderedDict()
_ROOT_QUERIES_KEPT = 256


def _roots_statement(
    q: Query, classes: dict[str, int], traits: dict[str, int], in_tree: bool, step: int
) -> Select[int]:
    key = (
        tuple((name, _group_key(g)) for name, g in sorted(q.groups.items())),
        tuple(sorted(classes.items())),
        tuple(sorted(traits.items())),
        in_tree,
        step,
    )
    found = _ROOT_QUERIES.get(key)
    if found is not None:
        _ROOT_QUERIES.move_to_end(key)
        return found
    root = aliased(RP)
    conds = [root.id == root.root_provider_id, root.id > bindparam("last")]
    for g in q.groups.values():
        conds += _tree_conditions(root, g, classes, traits)
    if in_tree:
        conds.append(root.id == bindparam("tree_root"))
    built = select(root.id).where(*conds).order_by(root.id).limit(step)
    _ROOT_QUERIES[key] = built
    while len(_ROOT_QUERIES) > _ROOT_QUERIES_KEPT:
        _ROOT_QUERIES.popitem(last=False)
    return built


def _group_key(g: RequestGroup) -> tuple[Any, ...]:
    return (
        g.suffix,
        tuple(sorted(g.resources.items())),
        tuple(sorted(g.required)),
        tuple(tuple(sorted(any_)) for any_ in g.any_of),
        tuple(sorted(g.forbidden)),
        tuple(tuple(sorted(agg)) for agg in g.member_of),
        tuple(sorted(g.forbidden_aggs)),
    )


def _tree_conditions(
    root: Any, g: RequestGroup, classes: dict[str, int], traits: dict[str, int]
) -> list[ColumnElement[bool]]:
    """EXISTS conditions on a root: some provider of its tree can serve each part of ``g``."""
    in_tree = RP.root_provider_id == root.id
    if g.suffix:
        return [exists().where(in_tree, *provider_conditions(g, classes, traits))]
    # Required traits of the unnamed group may sit on any provider of the tree.
    conds: list[ColumnElement[bool]] = [
        exists().where(in_tree, has_trait([traits[t] for t in sorted(any_)]))
        for any_ in [{t} for t in sorted(g.required)] + g.any_of
    ]
    row_conds = provider_traits(g, traits, include_required=False) + aggregates(g)
    for rc, n in sorted(g.resources.items()):
        # Driven from the tree's providers so each step is an index lookup.
        served = select(RP.id).where(in_tree, has_capacity(classes[rc], n), *row_conds)
        conds.append(served.exists())
    return conds


async def _load_trees(
    s: AsyncSession,
    roots: Sequence[int],
    classes: dict[str, int],
    traits: dict[str, int],
    q: Query,
) -> dict[int, list[TreeProvider]]:
    """Every provider of the given trees, with the slots, traits and aggregates asked about."""
    in_chunk = RP.root_provider_id.in_(roots)
    rows = await s.execute(select(RP.id, RP.root_provider_id).where(in_chunk).order_by(RP.id))
    providers: dict[int, TreeProvider] = {}
    root_of: dict[int, int] = {}
    trees: dict[int, list[TreeProvider]] = {root: [] for root in roots}
    for pid, root in rows.all():
        if root is None:
            continue
        providers[pid] = TreeProvider(pid)
        root_of[pid] = root
        trees[root].append(providers[pid])
    await _load_slots(s, in_chunk, list(classes.values()), providers)
    if traits:
        trait_rows = await s.execute(
            select(ProviderTrait.resource_provider_id, ProviderTrait.trait_id)
            .join(RP, RP.id == ProviderTrait.resource_provider_id)
            .where(in_chunk, ProviderTrait.trait_id.in_(list(traits.values())))
        )
        for pid, tid in trait_rows.all():
            providers[pid].traits.add(tid)
    if any(g.member_of or g.forbidden_aggs for g in q.groups.values()):
        await _load_aggregates(s, in_chunk, providers, root_of)
    return trees


async def _load_slots(
    s: AsyncSession, in_chunk: ColumnElement[bool], rc_ids: list[int], providers: dict[int, Any]
) -> None:
    inv = Inventory
    rows = await s.execute(
        select(
            inv.resource_provider_id,
            inv.resource_class_id,
            inv.total,
            inv.reserved,
            inv.allocation_ratio,
            inv.min_unit,
            inv.max_unit,
            inv.step_size,
            used_of(inv.resource_provider_id, inv.resource_class_id),
        )
        .join(RP, RP.id == inv.resource_provider_id)
        .where(in_chunk, inv.resource_class_id.in_(rc_ids))
    )
    for pid, rc, total, reserved, ratio, lo, hi, step, used in rows.all():
        free = int((total - reserved) * ratio) - int(used)
        providers[pid].slots[rc] = Slot(free, lo, hi, step)


async def _load_aggregates(
    s: AsyncSession,
    in_chunk: ColumnElement[bool],
    providers: dict[int, TreeProvider],
    root_of: dict[int, int],
) -> None:
    rows = await s.execute(
        select(ProviderAggregate.resource_provider_id, ProviderAggregate.aggregate_uuid)
        .join(RP, RP.id == ProviderAggregate.resource_provider_id)
        .where(in_chunk)
    )
    own: dict[int, set[str]] = {}
    for pid, agg in rows.all():
        own.setdefault(pid, set()).add(agg)
    for pid, p in providers.items():
        p.aggregates = own.get(pid, set()) | own.get(root_of[pid], set())
