"""Traffic probes run inside a namespace (``ip netns exec <ns> python netprobe.py ...``).

``ping DST IDENT TIMEOUT [SRC]``: one ICMP echo request with the given identifier (so
two probes can build the same conntrack tuple), exit 0 on its reply within TIMEOUT
seconds, 1 without. ``SRC`` binds another source address (which must be on a device).
"""

from __future__ import annotations

import select
import socket
import struct
import sys
import time


def _checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    total = (total >> 16) + (total & 0xFFFF)
    total += total >> 16
    return ~total & 0xFFFF


def ping(dst: str, ident: int, timeout: float, src: str | None = None) -> bool:
    """Whether ``dst`` answers one echo request with identifier ``ident`` in time."""
    with socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP) as sock:
        if src:
            sock.bind((src, 0))
        payload = b"nimbostack-probe"
        header = struct.pack("!BBHHH", 8, 0, 0, ident, 1)
        packet = struct.pack("!BBHHH", 8, 0, _checksum(header + payload), ident, 1) + payload
        sock.sendto(packet, (dst, 0))
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            if not select.select([sock], [], [], left)[0]:
                break
            data, (sender, _) = sock.recvfrom(2048)
            ihl = (data[0] & 0x0F) * 4
            kind, _, _, got, _ = struct.unpack("!BBHHH", data[ihl : ihl + 8])
            if kind == 0 and got == ident and sender == dst:
                return True
    return False


def main(argv: list[str]) -> int:
    if argv[:1] == ["ping"]:
        dst, ident, timeout = argv[1], int(argv[2]), float(argv[3])
        return 0 if ping(dst, ident, timeout, argv[4] if len(argv) > 4 else None) else 1
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
