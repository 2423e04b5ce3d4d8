"""Host network devices and namespaces, through iproute2 (``ip -j``), without blocking.

Shared by the compute driver (a guest's tap) and the networking agents (bridges, veths,
VXLAN devices, namespaces). Every call runs ``ip`` as a child process through
``core.process.run`` (so it inherits no descriptor of the cloud) and reads JSON output
rather than text. A failing command raises ``NetdevError`` with ip's own reason.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from nimbostack.core.process import run

IP = "ip"
BRIDGE = "bridge"
TIMEOUT = 30.0


class NetdevError(Exception):
    """An ``ip`` command failed; the message is ip's reason."""


@dataclass(frozen=True)
class Link:
    """One network device as ``ip -j link`` shows it."""

    name: str
    index: int
    kind: str  # "bridge", "vxlan", "veth", "tun", "" (a plain device)
    master: str | None
    mtu: int
    address: str
    up: bool
    alias: str = ""  # ifalias: who made the device, for a resync to find it again
    info: dict[str, Any] = field(default_factory=dict, compare=False)  # kind's details

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Link:
        info = data.get("linkinfo") or {}
        return cls(
            name=str(data["ifname"]),
            index=int(data["ifindex"]),
            kind=str(info.get("info_kind", "")),
            master=data.get("master"),
            mtu=int(data.get("mtu", 0)),
            address=str(data.get("address", "")),
            up="UP" in data.get("flags", []),
            alias=str(data.get("ifalias", "")),
            info=dict(info.get("info_data") or {}),
        )


async def ip(*args: str, netns: str | None = None, check: bool = True) -> str:
    """Run ``ip [-n NETNS] ARGS``; its standard output."""
    argv = [IP, *(["-n", netns] if netns else []), *args]
    done = await run(*argv, timeout=TIMEOUT)
    if check and done.returncode != 0:
        raise NetdevError(f"{' '.join(argv)}: {done.reason()}")
    return done.out.decode()


async def links(netns: str | None = None) -> dict[str, Link]:
    """Every device (of the namespace), by name."""
    out = await ip("-j", "-d", "link", "show", netns=netns)
    return {link.name: link for link in map(Link.from_json, json.loads(out or "[]"))}


async def link_indexes(netns: str | None = None) -> dict[str, int]:
    """Every device's index, by name (cheap: no details), to notice devices come and go."""
    out = await ip("-j", "link", "show", netns=netns)
    return {str(d["ifname"]): int(d["ifindex"]) for d in json.loads(out or "[]")}


async def link(name: str, netns: str | None = None) -> Link | None:
    """The device called ``name``, or None."""
    out = await ip("-j", "-d", "link", "show", "dev", name, netns=netns, check=False)
    found = json.loads(out) if out.strip() else []
    return Link.from_json(found[0]) if found else None


async def delete(name: str, netns: str | None = None) -> bool:
    """Remove a device; whether it existed."""
    if await link(name, netns) is None:
        return False
    await ip("link", "del", "dev", name, netns=netns)
    return True


async def set_up(name: str, *, mtu: int | None = None, netns: str | None = None) -> None:
    extra = ["mtu", str(mtu)] if mtu else []
    await ip("link", "set", "dev", name, *extra, "up", netns=netns)


async def set_master(name: str, bridge: str | None, netns: str | None = None) -> None:
    """Plug the device into ``bridge`` (None: unplug it)."""
    target = ["master", bridge] if bridge else ["nomaster"]
    await ip("link", "set", "dev", name, *target, netns=netns)


async def add_bridge(name: str, *, mtu: int | None = None, netns: str | None = None) -> None:
    """A Linux bridge that forwards at once (no STP, no forwarding delay).

    Its bridged IP traffic goes through the host's inet hooks (br_netfilter), where
    the security-group firewall tracks connections, whatever the host-wide sysctl says.
    """
    args = ["type", "bridge", "stp_state", "0", "forward_delay", "0"]
    args += ["nf_call_iptables", "1", "nf_call_ip6tables", "1"]
    await ip("link", "add", "name", name, *(["mtu", str(mtu)] if mtu else []), *args, netns=netns)


async def set_down(name: str, netns: str | None = None) -> None:
    await ip("link", "set", "dev", name, "down", netns=netns)


async def set_mtu(name: str, mtu: int, netns: str | None = None) -> None:
    await ip("link", "set", "dev", name, "mtu", str(mtu), netns=netns)


async def set_alias(name: str, alias: str, netns: str | None = None) -> None:
    """Label the device (``ifalias``), so whoever made it can find it again."""
    await ip("link", "set", "dev", name, "alias", alias, netns=netns)


async def add_vxlan(name: str, vni: int, *, local: str, dstport: int = 4789, mtu: int) -> None:
    """A VXLAN device that learns nothing: its forwarding entries are written by hand."""
    args = ["id", str(vni), "local", local, "dstport", str(dstport), "nolearning"]
    await ip("link", "add", "name", name, "mtu", str(mtu), "type", "vxlan", *args)


async def add_vlan(name: str, parent: str, vid: int) -> None:
    """A VLAN sub-interface of ``parent`` tagging with ``vid``."""
    await ip("link", "add", "link", parent, "name", name, "type", "vlan", "id", str(vid))


async def add_tap(name: str, *, multi_queue: bool = True) -> None:
    """A persistent tap device for a guest (QEMU opens it by name)."""
    await ip("tuntap", "add", "dev", name, "mode", "tap", *(["multi_queue"] if multi_queue else []))


async def add_veth(name: str, peer: str, *, peer_netns: str | None = None) -> None:
    """A veth pair, ``peer`` moved into ``peer_netns`` if given."""
    where = ["netns", peer_netns] if peer_netns else []
    await ip("link", "add", "name", name, "type", "veth", "peer", "name", peer, *where)


async def set_address(name: str, mac: str, netns: str | None = None) -> None:
    await ip("link", "set", "dev", name, "address", mac, netns=netns)


async def addresses(name: str, netns: str | None = None) -> list[str]:
    """The device's addresses as ``address/prefix``."""
    out = await ip("-j", "addr", "show", "dev", name, netns=netns)
    found = json.loads(out or "[]")
    return [f"{a['local']}/{a['prefixlen']}" for d in found for a in d.get("addr_info", [])]


async def add_address(name: str, cidr: str, netns: str | None = None) -> None:
    """Add ``address/prefix`` to the device unless it has it already."""
    if cidr not in await addresses(name, netns):
        await ip("addr", "add", cidr, "dev", name, netns=netns)


async def delete_address(name: str, cidr: str, netns: str | None = None) -> None:
    """Remove ``address/prefix`` from the device."""
    await ip("addr", "del", cidr, "dev", name, netns=netns)


async def namespaces() -> list[str]:
    """The names of the host's network namespaces."""
    out = await ip("-j", "netns", "list")
    return [str(n["name"]) for n in json.loads(out or "[]")]


async def add_namespace(name: str) -> None:
    """Create a namespace (with its loopback up) unless it exists."""
    if name not in await namespaces():
        await ip("netns", "add", name)
    await set_up("lo", netns=name)


async def delete_namespace(name: str) -> bool:
    """Remove a namespace; whether it existed."""
    if name not in await namespaces():
        return False
    await ip("netns", "del", name)
    return True


async def default_route_address() -> str | None:
    """The first IPv4 address of the device the default route leaves by, if any."""
    out = await ip("-j", "-4", "route", "show", "default")
    routes = json.loads(out or "[]")
    devices = [str(r["dev"]) for r in routes if r.get("dev")]
    for device in devices:
        for cidr in await addresses(device):
            if ":" not in cidr:
                return cidr.split("/", 1)[0]
    return None


@dataclass(frozen=True)
class FdbEntry:
    """A forwarding entry of a VXLAN device: frames for ``mac`` go to VTEP ``dst``."""

    mac: str
    dst: str


async def bridge(*args: str) -> str:
    """Run ``bridge ARGS`` (iproute2's); its standard output."""
    argv = [BRIDGE, *args]
    done = await run(*argv, timeout=TIMEOUT)
    if done.returncode != 0:
        raise NetdevError(f"{' '.join(argv)}: {done.reason()}")
    return done.out.decode()


async def fdb_entries(device: str) -> set[FdbEntry]:
    """The device's own forwarding entries that name a remote VTEP (``bridge -j fdb``)."""
    out = await bridge("-j", "fdb", "show", "dev", device)
    found = json.loads(out or "[]")
    return {FdbEntry(str(e["mac"]), str(e["dst"])) for e in found if e.get("dst")}


async def fdb_add(device: str, entry: FdbEntry, *, append: bool = False) -> None:
    """Add an entry: ``append`` keeps other VTEPs of the MAC (flooding); else replace."""
    verb = "append" if append else "replace"
    await bridge("fdb", verb, entry.mac, "dev", device, "dst", entry.dst, "self", "permanent")


async def fdb_delete(device: str, entry: FdbEntry) -> None:
    await bridge("fdb", "del", entry.mac, "dev", device, "dst", entry.dst, "self")
