"""combine.py: turning one provider tree into allocation requests, without a database."""

from __future__ import annotations

from nimbostack.placement.objects.combine import Group, Slot, TreeProvider, tree_candidates

VCPU, MEM, VF = 1, 2, 5


def test_slot_rules() -> None:
    slot = Slot(free=8, min_unit=2, max_unit=6, step_size=2)
    assert slot.fits(4)
    assert not slot.fits(1) and not slot.fits(3) and not slot.fits(8)


def test_unnamed_group_spreads_over_the_tree() -> None:
    tree = [TreeProvider(1, {VCPU: Slot(4)}), TreeProvider(2, {MEM: Slot(1024)})]
    [cand] = tree_candidates(tree, [Group("", {VCPU: 2, MEM: 512})], False, 10)
    assert cand.allocations == {1: {VCPU: 2}, 2: {MEM: 512}}
    assert cand.mappings == {"": [1, 2]}


def test_required_traits_are_checked_on_the_providers_used() -> None:
    tree = [
        TreeProvider(1, {VCPU: Slot(4)}),
        TreeProvider(2, {MEM: Slot(512)}, traits={7}),
        TreeProvider(3, {}, traits={8}),
    ]
    wanted = Group("", {VCPU: 1, MEM: 256}, required={7})
    assert len(list(tree_candidates(tree, [wanted], False, 10))) == 1
    # A trait on a provider that gives nothing to the request does not count.
    unused = Group("", {VCPU: 1, MEM: 256}, required={8})
    assert list(tree_candidates(tree, [unused], False, 10)) == []


def test_forbidden_trait_excludes_the_provider() -> None:
    tree = [TreeProvider(1, {VCPU: Slot(4)}, traits={7}), TreeProvider(2, {VCPU: Slot(4)})]
    cands = list(tree_candidates(tree, [Group("", {VCPU: 1}, forbidden={7})], False, 10))
    assert [c.allocations for c in cands] == [{2: {VCPU: 1}}]


def test_isolate_keeps_numbered_groups_apart_and_sums_capacity() -> None:
    tree = [TreeProvider(1, {VF: Slot(1)}), TreeProvider(2, {VF: Slot(1)})]
    groups = [Group("1", {VF: 1}), Group("2", {VF: 1})]
    isolated = list(tree_candidates(tree, groups, True, 10))
    assert [c.allocations for c in isolated] == [{1: {VF: 1}, 2: {VF: 1}}]
    # Without isolate both groups could land on one provider, but its one VF cannot take 2.
    assert len(list(tree_candidates(tree, groups, False, 10))) == 1


def test_member_of_uses_the_provider_aggregates() -> None:
    tree = [TreeProvider(1, {VCPU: Slot(4)}, aggregates={"a"})]
    assert list(tree_candidates(tree, [Group("", {VCPU: 1}, member_of=[{"b"}])], False, 5)) == []
    assert (
        len(list(tree_candidates(tree, [Group("", {VCPU: 1}, member_of=[{"a", "b"}])], False, 5)))
        == 1
    )
