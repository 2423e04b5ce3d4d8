"""``/servers/{id}/os-interface``: a server's ports; attach and detach them.

As in Nova, the port or network is looked up with the caller's token (another
project's one is not found), attaching is a call to the server's host, which makes
or takes the port, binds it there, records it and plugs it into the guest (the
answer is the bound port), and detaching is a cast. Both are allowed while the
server is ACTIVE, PAUSED or SHUTOFF with no task running; the port of two servers
racing for it goes to one of them, the other gets 409.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from starlette.responses import Response

from nimbostack.clients.network import NetworkClient, NetworkError
from nimbostack.compute import states
from nimbostack.compute.api import action_guard
from nimbostack.compute.api.action_guard import Transition
from nimbostack.compute.api.deps import ApiState, compute_conf, state_of, user_networks
from nimbostack.compute.api.server_lookup import load_server, target
from nimbostack.compute.api.server_networks import auto_network
from nimbostack.compute.db.models import Instance
from nimbostack.compute.device_messages import (
    AttachInterface,
    DetachInterface,
    InterfaceAttachFailed,
    PortInUse,
)
from nimbostack.compute.messages import UnexpectedTaskState
from nimbostack.compute.network_info import decode
from nimbostack.compute.objects import actions
from nimbostack.core.api.microversion import Version
from nimbostack.core.api.request import ApiRequest
from nimbostack.core.api.responses import empty, json_response
from nimbostack.core.errors import ApiError, BadRequest, Conflict, NotFound, ServiceUnavailable
from nimbostack.core.rpc import RpcError

LOG = logging.getLogger(__name__)
_STATES = (states.ACTIVE, states.PAUSED, states.STOPPED)
ATTACH = Transition("attach_interface", _STATES, task_state=None)
DETACH = Transition("detach_interface", _STATES, task_state=None)
_UUID = {"type": "string", "format": "uuid"}
_FIXED_IPS = {
    "type": "array",
    "minItems": 1,
    "maxItems": 1,
    "items": {
        "type": "object",
        "properties": {"ip_address": {"type": "string", "minLength": 1, "maxLength": 64}},
        "required": ["ip_address"],
        "additionalProperties": False,
    },
}
_TAG = {"type": "string", "minLength": 1, "maxLength": 60, "pattern": "^[^,/]*$"}


def _version(req: ApiRequest) -> Version:
    return req.version or Version(2, 1)


def attach_schema(version: Version) -> dict[str, Any]:
    props: dict[str, Any] = {"net_id": _UUID, "port_id": _UUID, "fixed_ips": _FIXED_IPS}
    if version.matches("2.49"):
        props["tag"] = _TAG
    return {
        "type": "object",
        "properties": {
            "interfaceAttachment": {
                "type": "object",
                "properties": props,
                "additionalProperties": False,
            }
        },
        "additionalProperties": False,
    }


def view(port: dict[str, Any], tag: str | None, version: Version) -> dict[str, Any]:
    shown = {
        "net_id": port.get("network_id"),
        "port_id": port.get("id"),
        "mac_addr": port.get("mac_address"),
        "port_state": port.get("status"),
        "fixed_ips": [
            {"subnet_id": ip.get("subnet_id"), "ip_address": ip.get("ip_address")}
            for ip in port.get("fixed_ips") or []
        ],
    }
    if version.matches("2.70"):
        shown["tag"] = tag
    return shown


def _tags(instance: Instance) -> dict[str, str | None]:
    return {vif.id: vif.tag for vif in decode(instance.network_info)}


async def _networks(req: ApiRequest, state: ApiState) -> NetworkClient:
    client = await user_networks(req.context, state)
    if client is None:
        raise BadRequest("Networking is not available.")
    return client


def _failed(exc: NetworkError) -> ServiceUnavailable:
    return ServiceUnavailable(f"The networking service failed: {exc.message}")


async def list_interfaces(req: ApiRequest) -> Response:
    state = state_of(req)
    instance = await load_server(req, state)
    req.enforce("os_compute_api:os-attach-interfaces:list", target(instance))
    client = await _networks(req, state)
    try:
        ports = await client.list_ports(device_id=instance.uuid)
    except NetworkError as exc:
        raise _failed(exc) from None
    finally:
        await client.close()
    tags = _tags(instance)
    shown = [view(p, tags.get(p["id"]), _version(req)) for p in ports]
    return json_response({"interfaceAttachments": shown})


async def show_interface(req: ApiRequest) -> Response:
    state = state_of(req)
    instance = await load_server(req, state)
    req.enforce("os_compute_api:os-attach-interfaces:show", target(instance))
    port_id = req.param("port_id")
    port = await _port_of(req, state, port_id)
    if port is None or port.get("device_id") != instance.uuid:
        raise NotFound(f"Instance {instance.uuid} does not have a port with id {port_id}")
    return json_response(
        {"interfaceAttachment": view(port, _tags(instance).get(port_id), _version(req))}
    )


async def _port_of(req: ApiRequest, state: ApiState, port_id: str) -> dict[str, Any] | None:
    if not _is_uuid(port_id):
        return None
    client = await _networks(req, state)
    try:
        return await client.get_port(port_id)
    except NetworkError as exc:
        raise _failed(exc) from None
    finally:
        await client.close()


async def attach_interface(req: ApiRequest) -> Response:
    state = state_of(req)
    instance = await load_server(req, state)
    req.enforce("os_compute_api:os-attach-interfaces:create", target(instance))
    wanted = (await req.json(attach_schema(_version(req)))).get("interfaceAttachment") or {}
    action_guard.check(req, instance, ATTACH)
    if not instance.host:
        raise Conflict(f"Instance {instance.uuid} has no host to attach an interface on")
    msg = await _checked(req, state, instance, wanted)
    async with state.db.session() as s:
        await actions.start_action(s, req.context, instance.uuid, "attach_interface")
    timeout = float(compute_conf(state).vif_plugging_timeout) + 60.0
    try:
        port_id = await state.rpc.call_agent(req.context, instance.host, msg, timeout=timeout)
    except PortInUse:
        raise Conflict(f"Port {msg.port_id} is still in use.") from None
    except UnexpectedTaskState as exc:
        raise Conflict(str(exc)) from None
    except InterfaceAttachFailed as exc:
        raise ApiError(str(exc)) from None
    except RpcError as exc:
        LOG.warning("compute: attach of an interface on %s failed: %s", instance.host, exc)
        raise ServiceUnavailable("The server's host did not attach the interface.") from None
    port = await _port_of(req, state, str(port_id))
    if port is None:
        raise NotFound(f"Port {port_id} could not be found.")
    return json_response({"interfaceAttachment": view(port, msg.tag, _version(req))})


async def _checked(
    req: ApiRequest, state: ApiState, instance: Instance, wanted: dict[str, Any]
) -> AttachInterface:
    """The attach message, once the port or network is found with the caller's token."""
    net_id, port_id = wanted.get("net_id"), wanted.get("port_id")
    fixed = (wanted.get("fixed_ips") or [{}])[0].get("ip_address")
    if net_id and port_id:
        raise BadRequest("Must not input both network_id and port_id")
    if fixed is not None and not net_id:
        raise BadRequest("Must input network_id when request IP address")
    client = await _networks(req, state)
    try:
        if port_id:
            port = await client.get_port(port_id)
            if port is None:
                raise NotFound(f"Port {port_id} could not be found.")
            if port.get("device_id"):
                raise Conflict(f"Port {port_id} is still in use.")
            net_id = port["network_id"]
        elif net_id:
            if await client.get_network(net_id) is None:
                raise NotFound(f"Network {net_id} could not be found.")
        else:
            net_id = await auto_network(client)
            if net_id is None:
                raise BadRequest("No network is available to attach an interface to.")
    except NetworkError as exc:
        raise _failed(exc) from None
    finally:
        await client.close()
    return AttachInterface(
        instance.uuid,
        req.context.request_id,
        network_id=str(net_id),
        port_id=port_id,
        fixed_ip=fixed,
        tag=wanted.get("tag"),
    )


async def detach_interface(req: ApiRequest) -> Response:
    state = state_of(req)
    instance = await load_server(req, state)
    req.enforce("os_compute_api:os-attach-interfaces:delete", target(instance))
    port_id = req.param("port_id")
    action_guard.check(req, instance, DETACH)
    if port_id not in _tags(instance):
        raise NotFound(f"Port {port_id} is not attached")
    assert instance.host is not None
    async with state.db.session() as s:
        await actions.start_action(s, req.context, instance.uuid, "detach_interface")
    msg = DetachInterface(instance.uuid, req.context.request_id, port_id=port_id)
    await state.rpc.cast_agent(req.context, instance.host, msg)
    return empty(202)


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True
