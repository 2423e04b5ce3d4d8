"""An instance's ports on this host: made (or taken) and bound before its guest starts,
removed (or given back) when it goes.

As Nova's compute manager does, the host creates a port on each requested network, or
takes the port the user passed, with ``device_id`` the instance, ``device_owner``
``compute:<zone>`` and ``binding:host_id`` this host, as the compute service. A port
the networking service cannot bind here fails the build, and every port of the
instance is released again: created ones deleted, the user's unbound and kept.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable
from typing import Any

from nimbostack.clients.network import NetworkClient, NetworkError
from nimbostack.compute.agent.host import AgentHost
from nimbostack.compute.instance_record import InstanceRecord
from nimbostack.compute.network_info import RequestedNetwork, Vif, from_port
from nimbostack.compute.scheduler.request_spec import RequestSpec

LOG = logging.getLogger(__name__)
BINDING_FAILED = "binding_failed"


class PortBindingFailed(Exception):
    """The networking service could not bind a port of the instance on this host."""


class PortInUse(Exception):
    """The user's port went to another device between the API's check and the build."""


def requested(request_spec: dict[str, Any]) -> list[RequestedNetwork]:
    """The networks a build asked for, from its request spec."""
    spec = RequestSpec.from_dict(request_spec)
    return [RequestedNetwork.from_json(n) for n in spec.requested_networks]


def user_ports(request_spec: dict[str, Any]) -> set[str]:
    """The ports the user passed in a build's request (kept when the instance goes)."""
    return _preserved(requested(request_spec))


def _client(agent: AgentHost) -> NetworkClient:
    if agent.network is None:
        raise PortBindingFailed("This compute host has no access to the networking service.")
    return agent.network()


async def allocate(
    agent: AgentHost, instance: InstanceRecord, wanted: list[RequestedNetwork]
) -> list[Vif]:
    """Make or take, and bind here, a port per requested network; their Vifs."""
    if not wanted:
        return []
    client = _client(agent)
    vifs: list[Vif] = []
    networks: dict[str, tuple[str, int]] = {}
    try:
        for entry in wanted:
            port = await _bind(client, agent.host, instance, entry)
            net_id = port["network_id"]
            label, mtu = networks.get(net_id) or await _network(client, net_id)
            networks[net_id] = (label, mtu)
            vif = from_port(port, label, preserve=entry.port_id is not None, mtu=mtu)
            vifs.append(vif)
            if vif.type == BINDING_FAILED:
                raise PortBindingFailed(
                    f"Binding failed for port {vif.id}, please check the networking "
                    f"agent on host {agent.host}."
                )
        return vifs
    except BaseException:
        await release(agent, instance.uuid, _preserved(wanted))
        raise
    finally:
        await client.close()


async def allocate_one(agent: AgentHost, instance: InstanceRecord, entry: RequestedNetwork) -> Vif:
    """Make or take, and bind here, one more port of a running instance (an attach).

    A failure releases only that port: the instance's other ports are left alone.
    """
    client = _client(agent)
    port_id: str | None = None
    try:
        port = await _bind(client, agent.host, instance, entry)
        port_id = port["id"]
        label, mtu = await _network(client, port["network_id"])
        vif = from_port(port, label, preserve=entry.port_id is not None, mtu=mtu)
        if vif.type == BINDING_FAILED:
            raise PortBindingFailed(
                f"Binding failed for port {vif.id}, please check the networking "
                f"agent on host {agent.host}."
            )
        return vif
    except BaseException:
        if port_id is not None:
            await release_one(agent, port_id, preserve=entry.port_id is not None)
        raise
    finally:
        await client.close()


async def release_one(agent: AgentHost, port_id: str, *, preserve: bool) -> None:
    """Delete one port compute made, or unbind and keep one the user passed in."""
    if agent.network is None:
        return
    client = agent.network()
    try:
        await _release_one(client, port_id, {port_id} if preserve else set())
    except NetworkError as exc:
        if exc.status != 404:  # already gone is what we want
            raise
    finally:
        await client.close()


async def rebind(
    agent: AgentHost, instance: InstanceRecord, host: str
) -> tuple[list[Vif], list[str]]:
    """Bind every port of an instance that moves to ``host``: its new Vifs, and the
    ports whose binding changed (the ones whose ``network-vif-plugged`` comes again).

    The networking service rewires each port for that host (and tells the old host's
    agent to let go); a port it cannot bind there fails the move.
    """
    if not instance.network_info or agent.network is None:
        return list(instance.network_info), []
    client = agent.network()
    vifs: list[Vif] = []
    moved: list[str] = []
    try:
        for vif in instance.network_info:
            port = await client.get_port(vif.id)
            if port is None:
                LOG.warning("port %s of %s is gone; the move goes on", vif.id, instance.uuid)
                vifs.append(vif)
                continue
            if port.get("binding:host_id") != host:
                bound: dict[str, Any] = {"binding:host_id": host}
                port = await client.update_port(vif.id, **bound)
                moved.append(vif.id)
            fresh = from_port(
                port, vif.network.label, preserve=vif.preserve_on_delete, mtu=vif.network.mtu
            )
            if fresh.type == BINDING_FAILED:
                raise PortBindingFailed(
                    f"Binding failed for port {vif.id}, please check the networking "
                    f"agent on host {host}."
                )
            vifs.append(dataclasses.replace(fresh, tag=vif.tag))
    finally:
        await client.close()
    return vifs, moved


async def _bind(
    client: NetworkClient, host: str, instance: InstanceRecord, entry: RequestedNetwork
) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "device_id": instance.uuid,
        "device_owner": f"compute:{instance.availability_zone or 'nova'}",
        "binding:host_id": host,
    }
    if entry.port_id is not None:
        return await _take(client, entry.port_id, instance.uuid, fields)
    if entry.fixed_ip is not None:
        fields["fixed_ips"] = [{"ip_address": entry.fixed_ip}]
    return await client.create_port(
        network_id=entry.network_id, project_id=instance.project_id, **fields
    )


async def _take(
    client: NetworkClient, port_id: str, instance_uuid: str, fields: dict[str, Any]
) -> dict[str, Any]:
    """Take the user's port, unless another device took it since the API checked it.

    The update is conditional on the revision read, so of two builds racing for one
    port exactly one gets it.
    """
    port = await client.get_port(port_id)
    if port is None:
        raise PortInUse(f"Port {port_id} could not be found.")
    if port.get("device_id") not in ("", instance_uuid):
        raise PortInUse(f"Port {port_id} is still in use.")
    try:
        return await client.update_port(port_id, revision=port["revision_number"], **fields)
    except NetworkError as exc:
        if exc.status == 412:
            raise PortInUse(f"Port {port_id} is still in use.") from None
        raise


async def _network(client: NetworkClient, network_id: str) -> tuple[str, int]:
    """The network's label (its name, else its id) and MTU (0: not known)."""
    net = await client.get_network(network_id) or {}
    label = str(net["name"]) if net.get("name") else network_id
    return label, int(net.get("mtu") or 0)


def _preserved(wanted: Iterable[RequestedNetwork]) -> set[str]:
    return {entry.port_id for entry in wanted if entry.port_id is not None}


async def release(agent: AgentHost, instance_uuid: str, preserved: set[str]) -> None:
    """Delete the ports made for the instance; unbind and keep the user's ones."""
    if agent.network is None:
        return
    client = agent.network()
    try:
        for port in await client.list_ports(device_id=instance_uuid):
            await _release_one(client, port["id"], preserved)
    except NetworkError as exc:
        LOG.warning("could not release the ports of %s: %s", instance_uuid, exc)
    finally:
        await client.close()


async def _release_one(client: NetworkClient, port_id: str, preserved: set[str]) -> None:
    if port_id in preserved:
        unbound: dict[str, Any] = {"device_id": "", "device_owner": "", "binding:host_id": ""}
        await client.update_port(port_id, **unbound)
    else:
        await client.delete_port(port_id)


async def release_requested(agent: AgentHost, instance: InstanceRecord) -> None:
    """Release the ports of an instance going away (its request says which are the user's)."""
    preserved = user_ports(instance.request_spec or {})
    if not instance.network_info and not preserved:
        return  # it never had ports (a failed build released its own)
    preserved |= {vif.id for vif in instance.network_info if vif.preserve_on_delete}
    await release(agent, instance.uuid, preserved)
