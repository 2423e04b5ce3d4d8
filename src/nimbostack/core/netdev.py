"""Host network devices and namespaces, through iproute2 (``ip -j``), without blocking.

Shared by the compute driver (a guest's tap) and the networking agents (bridges, veths,
VXLAN devices, namespaces). Every call runs ``ip`` as a child process through
``core.process.run`` (so it inherits no descriptor of the cloud) and reads JSON output
rather than text. A failing command raises ``NetdevError`` with ip's own reason.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from nimbostack.core.process import run

IP = "ip"
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
    """A Linux bridge that forwards at once (no STP, no forwarding delay)."""
    args = ["type", "bridge", "stp_state", "0", "forward_delay", "0"]
    await ip("link", "add", "name", name, *(["mtu", str(mtu)] if mtu else []), *args, netns=netns)


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


async def set_down(name: str, netns: str | None = None) -> None:
    await ip("link", "set", "dev", name, "down", netns=netns)


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
