"""The message bus: typed RPC messages sent by call, cast or fanout over a transport.

Typical use::

    transport = get_transport(conf.DEFAULT.transport_url)     # memory:// or rabbit://...
    server = RpcServer(transport, "compute.scheduler", SchedulerManager(),
                       service="compute-scheduler")
    await server.start()
    client = RpcClient(transport, "compute.scheduler", timeout=30)
    hosts = await client.call(ctxt, SelectDestinations(spec=...))
"""

from nimbostack.core.rpc.bus import get_transport
from nimbostack.core.rpc.client import RpcClient
from nimbostack.core.rpc.errors import (
    BusUnavailable,
    ConnectionLost,
    DeliveryFailure,
    IncompatibleVersion,
    MalformedMessage,
    MessagingTimeout,
    NoSuchMessage,
    RemoteError,
    RemoteExpectedError,
    RpcError,
)
from nimbostack.core.rpc.messages import Message, MessageRegistry, decode_reply
from nimbostack.core.rpc.server import RpcServer, handler_names, handles
from nimbostack.core.rpc.transport import Subscription, Transport, host_topic

__all__ = [
    "BusUnavailable",
    "ConnectionLost",
    "DeliveryFailure",
    "IncompatibleVersion",
    "MalformedMessage",
    "Message",
    "MessageRegistry",
    "MessagingTimeout",
    "NoSuchMessage",
    "RemoteError",
    "RemoteExpectedError",
    "RpcClient",
    "RpcError",
    "RpcServer",
    "Subscription",
    "Transport",
    "decode_reply",
    "get_transport",
    "handler_names",
    "handles",
    "host_topic",
    "rebuild",
]
