"""TCP ports for servers the suite starts that cannot bind port 0 and report the port.

PostgreSQL and RabbitMQ are told their ports on the command line. A port picked here
is free when picked, but another process may take it before the server binds it: the
server then exits at start-up saying the address is in use, and ``start_retrying``
starts it again on fresh ports, instead of failing the tests that wanted it.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")
ATTEMPTS = 5
# What the servers log when their port was taken meanwhile.
IN_USE = ("address already in use", "eaddrinuse")


class PortTaken(RuntimeError):
    """The server exited at start-up because one of its ports was taken."""


def free_port() -> int:
    """A port nothing listens on right now (another process may take it later)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def check_taken(log: str) -> None:
    """Raise PortTaken if a server's start-up ``log`` says its address was in use."""
    lowered = log.lower()
    if any(sign in lowered for sign in IN_USE):
        raise PortTaken(log)


def start_retrying(start: Callable[[], T], new_ports: Callable[[], None]) -> T:
    """``start()``; when a port was taken, ``new_ports()`` and start again."""
    for _attempt in range(ATTEMPTS - 1):
        try:
            return start()
        except PortTaken:
            new_ports()
    return start()
