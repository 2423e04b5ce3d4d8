"""The whole ruleset of a host's firewall as one ``nft -f`` script (one transaction).

Two tables share the firewall's name: ``bridge <name>`` and ``inet <name>``. The
script declares both, deletes them and defines them again, so applying it replaces
whatever was there (stale ports' chains included) atomically: a packet sees the old
ruleset or the new one, never a mix.

- ``bridge`` ``prerouting`` sends a frame entering from a filtered port's tap to its
  ``spoof-<port>`` chain (``spoofing.py``), which marks the port's index in the high
  half of the packet mark. ``forward`` writes the index of the filtered port a frame
  leaves by in the low half (``to-<port>``). The bridge family has no conntrack, and
  the inet hooks see the bridge as both interfaces, so the mark is how they tell ports
  apart.
- ``inet`` ``prerouting`` (priority raw, before conntrack) puts each bridged packet in
  its network's conntrack zone (``zones``: bridge name to zone). ``forward`` (reached
  through br_netfilter) looks only at packets of its own bridges (another firewall on
  the host may use the same marks), lets established and related packets through, then runs the
  sender's ``egress-<port>`` chain (each allowed rule returns, the end drops) and the
  receiver's ``ingress-<port>`` chain (each allowed rule accepts, the end drops).
  Neighbour discovery and MLD pass before the conntrack check (conntrack sees them as
  invalid), DHCP replies reach every port and DHCP requests leave every port.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from nimbostack.network.agent_messages import DeviceDetails, SecurityGroupsInfo
from nimbostack.network.agents.firewall import rules, spoofing
from nimbostack.network.agents.firewall.spoofing import DST_MASK, SRC_MASK, SRC_SHIFT

ND_AND_MLD = (
    "icmpv6 type { nd-router-solicit, nd-router-advert, nd-neighbor-solicit, "
    "nd-neighbor-advert, mld-listener-query, mld-listener-report, mld-listener-done, "
    "mld2-listener-report }"
)
DHCP_REPLIES = ("udp sport 67 udp dport 68", "udp sport 547 udp dport 546")
DHCP_REQUESTS = ("udp sport 68 udp dport 67", "udp sport 546 udp dport 547")


@dataclass(frozen=True)
class Filtered:
    """A port this firewall filters, and its index in packet marks (1 to 65535)."""

    port: DeviceDetails
    index: int


@dataclass
class Wanted:
    """Everything the ruleset is made from."""

    table: str
    filtered: Sequence[Filtered] = ()
    info: SecurityGroupsInfo = field(default_factory=SecurityGroupsInfo)
    zones: Mapping[str, int] = field(default_factory=dict)  # bridge -> conntrack zone


@dataclass(frozen=True)
class Script:
    """The two tables' replacements; the bridge one depends on the ports alone."""

    bridge: str
    inet: str

    def text(self, *, bridge: bool = True) -> str:
        """The script; without ``bridge`` it leaves the bridge table as it is."""
        return (self.bridge if bridge else "") + self.inet


def script(wanted: Wanted) -> Script:
    """The nft script that replaces both tables with the wanted ruleset."""
    name = wanted.table
    return Script(
        bridge=f"add table bridge {name}\ndelete table bridge {name}\n{_bridge_table(wanted)}",
        inet=f"add table inet {name}\ndelete table inet {name}\n{_inet_table(wanted)}",
    )


def removal(table: str) -> str:
    """The nft script that removes both tables (whether or not they exist)."""
    return (
        f"add table bridge {table}\ndelete table bridge {table}\n"
        f"add table inet {table}\ndelete table inet {table}\n"
    )


def _chain(name: str, lines: Sequence[str], hook: str = "") -> str:
    head = f"    {hook}\n" if hook else ""
    body = "".join(f"    {line}\n" for line in lines)
    return f"  chain {name} {{\n{head}{body}  }}\n"


def _vmap(key: str, entries: Mapping[str, str]) -> list[str]:
    if not entries:
        return []
    pairs = ", ".join(f"{k} : {v}" for k, v in sorted(entries.items()))
    return [f"{key} vmap {{ {pairs} }}"]


def _bridge_table(wanted: Wanted) -> str:
    ports = [f.port for f in wanted.filtered]
    sending = {f'"{p.device}"': f"jump {spoofing.spoof_chain(p)}" for p in ports}
    receiving = {f'"{p.device}"': f"jump {_to_chain(p)}" for p in ports}
    parts = [
        _chain("sg-prerouting", _vmap("iifname", sending), _hook("prerouting", "-200")),
        _chain("sg-forward", _vmap("oifname", receiving), _hook("forward", "-200")),
    ]
    for f in wanted.filtered:
        parts.extend(spoofing.chains(f.port, f.index))
        marking = f"meta mark set meta mark & {SRC_MASK:#010x} | {f.index:#010x}"
        parts.append(_chain(_to_chain(f.port), [marking]))
    return f"table bridge {wanted.table} {{\n{''.join(parts)}}}\n"


def _inet_table(wanted: Wanted) -> str:
    parts = [_sets(wanted.info)]
    if wanted.zones:
        zones = ", ".join(f'"{b}" : {z}' for b, z in sorted(wanted.zones.items()))
        names = ", ".join(f'"{b}"' for b in sorted(wanted.zones))
        parts.append(f"  map sg-zones {{ typeof iifname : ct zone; elements = {{ {zones} }}; }}\n")
        parts.append(f"  set sg-networks {{ typeof iifname; elements = {{ {names} }}; }}\n")
        zoning = ["ct zone set iifname map @sg-zones"]
        # Marks are only this table's on its own bridges: another firewall on the host
        # numbers its ports from 1 too.
        dispatch = ["iifname @sg-networks meta mark != 0 jump sg-ports"]
    else:
        zoning, dispatch = [], []
    parts.append(_chain("sg-prerouting", zoning, _hook("prerouting", "raw")))
    parts.append(_chain("sg-forward", dispatch, _hook("forward", "filter")))
    parts.append(_chain("sg-ports", _dispatch(wanted.filtered)))
    groups = {g.id: g for g in wanted.info.groups}
    for f in wanted.filtered:
        mine = [r for g in f.port.security_group_ids if g in groups for r in groups[g].rules]
        egress = [rules.match(r) for r in mine if r.direction == "egress"]
        ingress = [rules.match(r) for r in mine if r.direction == "ingress"]
        port_id = f.port.port_id
        parts.append(_chain(f"egress-{port_id}", _allow([*DHCP_REQUESTS, *egress], "return")))
        parts.append(_chain(f"ingress-{port_id}", _allow([*DHCP_REPLIES, *ingress], "accept")))
    return f"table inet {wanted.table} {{\n{''.join(parts)}}}\n"


def _dispatch(filtered: Sequence[Filtered]) -> list[str]:
    senders = {f"{f.index << SRC_SHIFT:#010x}": f"jump egress-{f.port.port_id}" for f in filtered}
    receivers = {f"{f.index:#010x}": f"jump ingress-{f.port.port_id}" for f in filtered}
    return [
        "ct state established,related accept",
        f"{ND_AND_MLD} accept",
        "ct state invalid drop",
        *_vmap(f"meta mark & {SRC_MASK:#010x}", senders),
        *_vmap(f"meta mark & {DST_MASK:#010x}", receivers),
    ]


def _allow(matches: Sequence[str], verdict: str) -> list[str]:
    return [*(f"{m} {verdict}" for m in dict.fromkeys(matches)), "drop"]


def _sets(info: SecurityGroupsInfo) -> str:
    remote = {g.id: g.addresses for g in info.remote_groups}
    named = {g.id: g.addresses for g in info.address_groups}
    # A rule may name a remote group the server no longer knows: its sets stay empty.
    for group in info.groups:
        for rule in group.rules:
            if rule.remote_group_id:
                remote.setdefault(rule.remote_group_id, [])
            if rule.remote_address_group_id:
                named.setdefault(rule.remote_address_group_id, [])
    found = [*rules.address_sets("rg", remote), *rules.address_sets("ag", named)]
    return "".join(f"  {s.render()}\n" for s in found)


def _hook(hook: str, priority: str) -> str:
    return f"type filter hook {hook} priority {priority}; policy accept;"


def _to_chain(port: DeviceDetails) -> str:
    return f"to-{port.port_id}"
