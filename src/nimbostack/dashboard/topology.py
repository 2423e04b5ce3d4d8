"""The project's network topology as a drawing: networks are vertical lanes, routers
and instances are rows with a box on the left and a tap on each network they reach.

Only the layout is computed here (positions and labels); ``templates/networks/
topology.html`` draws it as SVG, escaped like every other value.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Doc = dict[str, Any]
LEFT, COLUMN, TOP, ROW, BOX_W, BOX_H = 190, 96, 64, 44, 160, 30


@dataclass(frozen=True)
class Lane:
    id: str
    name: str
    x: int
    external: bool
    cidrs: str


@dataclass(frozen=True)
class Tap:
    x: int
    address: str


@dataclass
class Node:
    kind: str  # "router" or "instance"
    id: str
    name: str
    y: int = 0
    taps: list[Tap] = field(default_factory=list)

    @property
    def reach(self) -> int:
        """The x the node's wire runs to: its furthest tap (or the box's edge)."""
        return max((t.x for t in self.taps), default=LEFT - 20)


@dataclass(frozen=True)
class Drawing:
    lanes: list[Lane]
    nodes: list[Node]
    width: int
    height: int

    @property
    def box_w(self) -> int:
        return BOX_W

    @property
    def box_h(self) -> int:
        return BOX_H


def _first_ip(port: Doc) -> str:
    ips = port.get("fixed_ips") or []
    return str(ips[0].get("ip_address", "")) if ips else ""


def layout(
    networks: list[Doc],
    subnets: list[Doc],
    routers: list[Doc],
    ports: list[Doc],
    servers: dict[str, str],
) -> Drawing:
    """Place ``networks`` (project's and external), their ``routers`` and instances.

    ``ports`` are the project's; an instance is a server of ``servers`` (id -> name),
    reached through its ``compute:`` ports. A router reaches its gateway's network
    through ``external_gateway_info`` (the gateway port belongs to no project).
    """
    cidrs: dict[str, list[str]] = {}
    for subnet in subnets:
        cidrs.setdefault(str(subnet.get("network_id")), []).append(str(subnet.get("cidr")))
    ordered = sorted(
        networks, key=lambda n: (not n.get("router:external"), str(n.get("name") or ""))
    )
    lanes = [
        Lane(str(n["id"]), str(n.get("name") or n["id"]), LEFT + 40 + i * COLUMN,
             bool(n.get("router:external")), ", ".join(cidrs.get(str(n["id"]), [])))
        for i, n in enumerate(ordered)
    ]  # fmt: skip
    x_of = {lane.id: lane.x for lane in lanes}
    nodes: list[Node] = []
    by_device: dict[str, list[Doc]] = {}
    for port in ports:
        by_device.setdefault(str(port.get("device_id") or ""), []).append(port)
    for router in sorted(routers, key=lambda r: str(r.get("name") or "")):
        node = Node("router", str(router["id"]), str(router.get("name") or router["id"]))
        gateway = router.get("external_gateway_info") or {}
        if gateway.get("network_id") in x_of:
            fixed = gateway.get("external_fixed_ips") or [{}]
            node.taps.append(Tap(x_of[gateway["network_id"]], str(fixed[0].get("ip_address", ""))))
        for port in by_device.get(node.id, []):
            if str(port.get("network_id")) in x_of:
                node.taps.append(Tap(x_of[str(port["network_id"])], _first_ip(port)))
        nodes.append(node)
    for server_id, name in sorted(servers.items(), key=lambda item: item[1]):
        node = Node("instance", server_id, name)
        for port in by_device.get(server_id, []):
            if (
                str(port.get("device_owner") or "").startswith("compute:")
                and str(port.get("network_id")) in x_of
            ):
                node.taps.append(Tap(x_of[str(port["network_id"])], _first_ip(port)))
        nodes.append(node)
    for i, node in enumerate(nodes):
        node.y = TOP + 20 + i * ROW
        node.taps.sort(key=lambda t: t.x)
    width = LEFT + 40 + max(len(lanes), 1) * COLUMN
    height = TOP + 40 + max(len(nodes), 1) * ROW
    return Drawing(lanes, nodes, width, height)
