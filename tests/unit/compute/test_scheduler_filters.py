"""Scheduler filters and weighers on hand-made host states (no database, no bus)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from nimbostack.compute.scheduler import filters, weights
from nimbostack.compute.scheduler.hosts import HostState, RequestFacts
from nimbostack.compute.scheduler.request_spec import (
    RequestSpec,
    placement_resources,
    required_traits,
)

FLAVOR = {"vcpus": 2, "memory_mb": 1024, "root_gb": 10, "ephemeral_gb": 5, "swap": 1500}


def host(name: str, **kw: Any) -> HostState:
    values: dict[str, Any] = {
        "host": name,
        "nodename": name,
        "uuid": f"rp-{name}",
        "allocation_request": {},
        "free": {"VCPU": 10.0, "MEMORY_MB": 4096.0, "DISK_GB": 100.0},
        "service_up": True,
        "service_disabled": False,
        "availability_zone": "nova",
        "aggregate_metadata": [],
        "hypervisor_type": "qemu",
        "cpu_info": {"arch": "x86_64"},
    }
    values.update(kw)
    return HostState(**values)


def facts(**spec: Any) -> RequestFacts:
    return RequestFacts(spec=RequestSpec(project_id="p", user_id="u", flavor=FLAVOR, **spec))


def names(hosts: list[HostState]) -> list[str]:
    return [h.host for h in hosts]


def test_flavor_resources_include_ephemeral_swap_and_overrides() -> None:
    assert placement_resources(FLAVOR) == {"VCPU": 2, "MEMORY_MB": 1024, "DISK_GB": 17}
    custom = {**FLAVOR, "extra_specs": {"resources:VCPU": "0", "resources:CUSTOM_GPU": "1"}}
    assert placement_resources(custom) == {"MEMORY_MB": 1024, "DISK_GB": 17, "CUSTOM_GPU": 1}


def test_traits_from_flavor_and_image() -> None:
    flavor = {"extra_specs": {"trait:HW_CPU_X86_AVX2": "required", "trait:CUSTOM_X": "forbidden"}}
    image = {"properties": {"trait:COMPUTE_STATUS_DISABLED": "forbidden"}}
    assert required_traits(flavor, image) == [
        "!COMPUTE_STATUS_DISABLED",
        "!CUSTOM_X",
        "HW_CPU_X86_AVX2",
    ]


def test_down_disabled_and_ignored_hosts_are_filtered() -> None:
    hosts = [host("a"), host("b", service_up=False), host("c", service_disabled=True), host("d")]
    assert names(filters.passing(hosts, facts(ignore_hosts=["d"]))) == ["a"]


def test_force_host_keeps_only_that_host() -> None:
    assert names(filters.passing([host("a"), host("b")], facts(force_host="b"))) == ["b"]


def test_availability_zone_filter() -> None:
    hosts = [host("a"), host("b", availability_zone="az2")]
    assert names(filters.passing(hosts, facts(availability_zone="az2"))) == ["b"]


def test_image_architecture_must_match() -> None:
    image = {"properties": {"hw_architecture": "aarch64"}}
    hosts = [host("a"), host("b", cpu_info={"arch": "aarch64"})]
    assert names(filters.passing(hosts, facts(image=image))) == ["b"]


def test_anti_affinity_avoids_hosts_of_members() -> None:
    f = facts()
    f.group_policy, f.group_hosts = "anti-affinity", Counter({"a": 1})
    assert names(filters.passing([host("a"), host("b")], f)) == ["b"]


def test_anti_affinity_honours_max_server_per_host() -> None:
    f = facts()
    f.group_policy, f.group_rules = "anti-affinity", {"max_server_per_host": 2}
    f.group_hosts = Counter({"a": 1, "b": 2})
    assert names(filters.passing([host("a"), host("b")], f)) == ["a"]


def test_affinity_sticks_to_the_members_host() -> None:
    f = facts()
    f.group_policy, f.group_hosts = "affinity", Counter({"b": 1})
    assert names(filters.passing([host("a"), host("b")], f)) == ["b"]


def test_same_and_different_host_hints() -> None:
    f = facts(scheduler_hints={"same_host": ["i1"], "different_host": ["i2"]})
    f.same_hosts, f.different_hosts = {"a", "b"}, {"b"}
    assert names(filters.passing([host("a"), host("b"), host("c")], f)) == ["a"]


def test_aggregate_extra_specs_must_match() -> None:
    flavor = {**FLAVOR, "extra_specs": {"aggregate_instance_extra_specs:ssd": "true"}}
    f = RequestFacts(spec=RequestSpec(project_id="p", user_id="u", flavor=flavor))
    hosts = [host("a", aggregate_metadata=[{"ssd": "true"}]), host("b")]
    assert names(filters.passing(hosts, f)) == ["a"]


def test_weighers_spread_by_default_and_pack_when_negative() -> None:
    roomy = host("roomy", free={"VCPU": 20.0, "MEMORY_MB": 8192.0, "DISK_GB": 200.0})
    tight = host("tight", free={"VCPU": 1.0, "MEMORY_MB": 512.0, "DISK_GB": 10.0})
    assert names(weights.weigh([tight, roomy], facts())) == ["roomy", "tight"]
    packed = weights.weigh([roomy, tight], facts(), ram=-1.0, cpu=-1.0, disk=-1.0)
    assert names(packed) == ["tight", "roomy"]


def test_soft_anti_affinity_prefers_hosts_without_members() -> None:
    f = facts()
    f.group_policy, f.group_hosts = "soft-anti-affinity", Counter({"a": 2})
    assert names(weights.weigh([host("a"), host("b")], f, ram=0, cpu=0, disk=0)) == ["b", "a"]


def test_soft_affinity_prefers_hosts_with_members() -> None:
    f = facts()
    f.group_policy, f.group_hosts = "soft-affinity", Counter({"b": 1})
    assert names(weights.weigh([host("a"), host("b")], f, ram=0, cpu=0, disk=0)) == ["b", "a"]
