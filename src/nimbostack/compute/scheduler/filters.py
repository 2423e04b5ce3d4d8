"""Scheduler filters: each says whether a host may take the request."""

from __future__ import annotations

from collections.abc import Callable

from nimbostack.compute.scheduler.hosts import HostState, RequestFacts

Filter = Callable[[HostState, RequestFacts], bool]
_AGG_SCOPE = "aggregate_instance_extra_specs:"


def compute_filter(host: HostState, _facts: RequestFacts) -> bool:
    """The host's agent is up and its service enabled."""
    return host.service_up and not host.service_disabled


def availability_zone_filter(host: HostState, facts: RequestFacts) -> bool:
    zone = facts.spec.availability_zone
    return not zone or host.availability_zone == zone


def force_and_ignore_filter(host: HostState, facts: RequestFacts) -> bool:
    """Pinned hosts (admin ``host``) and hosts to avoid (tried before, the source of a move)."""
    spec = facts.spec
    if spec.force_host and host.host != spec.force_host:
        return False
    return host.host not in spec.ignore_hosts and host.host not in spec.attempts


def image_properties_filter(host: HostState, facts: RequestFacts) -> bool:
    """The image's hypervisor type and architecture, when it names them, match the host."""
    image = facts.spec.image or {}
    props = {**image, **(image.get("properties") or {})}
    hv_type = props.get("img_hv_type") or props.get("hypervisor_type")
    if hv_type and str(hv_type).lower() not in (host.hypervisor_type.lower(), "qemu", "kvm"):
        return False
    if hv_type and host.hypervisor_type.lower() == "fake":
        return True
    arch = props.get("hw_architecture") or props.get("architecture")
    host_arch = host.cpu_info.get("arch")
    return not (arch and host_arch and str(arch) != str(host_arch))


def affinity_filter(host: HostState, facts: RequestFacts) -> bool:
    """Hard server-group policies: affinity keeps to the members' host, anti-affinity away."""
    if facts.group_policy == "affinity":
        return not facts.group_hosts or host.host in facts.group_hosts
    if facts.group_policy == "anti-affinity":
        limit = int(facts.group_rules.get("max_server_per_host", 1))
        return facts.group_hosts[host.host] < limit
    return True


def same_host_filter(host: HostState, facts: RequestFacts) -> bool:
    if facts.spec.hint_list("same_host"):
        return host.host in facts.same_hosts
    return True


def different_host_filter(host: HostState, facts: RequestFacts) -> bool:
    return host.host not in facts.different_hosts


def aggregate_extra_specs_filter(host: HostState, facts: RequestFacts) -> bool:
    """Flavor extra specs scoped ``aggregate_instance_extra_specs:`` match an aggregate."""
    wanted = {
        key[len(_AGG_SCOPE) :]: str(value)
        for key, value in (facts.spec.flavor.get("extra_specs") or {}).items()
        if key.startswith(_AGG_SCOPE)
    }
    if not wanted:
        return True
    for key, value in wanted.items():
        offered = {str(m.get(key)) for m in host.aggregate_metadata if key in m}
        if value not in {v.strip() for o in offered for v in o.split(",")}:
            return False
    return True


FILTERS: list[Filter] = [
    force_and_ignore_filter,
    compute_filter,
    availability_zone_filter,
    image_properties_filter,
    affinity_filter,
    same_host_filter,
    different_host_filter,
    aggregate_extra_specs_filter,
]


def passing(hosts: list[HostState], facts: RequestFacts) -> list[HostState]:
    return [h for h in hosts if all(f(h, facts) for f in FILTERS)]
