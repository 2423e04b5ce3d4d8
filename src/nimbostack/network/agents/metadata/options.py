"""The metadata agent's options: [network_metadata]."""

from __future__ import annotations

from nimbostack.core.config import Opt, register

register(
    "network_metadata",
    "The metadata agent: guests' 169.254.169.254 requests, signed for compute's metadata API.",
    [
        Opt(
            "enabled",
            False,
            "Run the metadata agent in `nimbostack up` even with the fake compute driver "
            "(with the qemu driver it runs with the DHCP agent anyway).",
            type="bool",
        ),
        Opt(
            "socket_path",
            "",
            "Unix socket the namespace proxies forward to "
            "(empty: <data dir>/metadata/metadata_proxy).",
        ),
        Opt(
            "nova_metadata_host",
            "",
            "Host of compute's metadata API (empty: [DEFAULT] my_ip).",
        ),
        Opt(
            "nova_metadata_port",
            0,
            "Port of compute's metadata API (0: [compute] metadata_port).",
            type="int",
            minimum=0,
        ),
        Opt(
            "cache_ttl",
            5.0,
            "Seconds an instance lookup of an address is reused (0: never).",
            type="float",
            minimum=0.0,
        ),
        Opt(
            "resync_interval",
            60.0,
            "Seconds between sweeps that remove the proxies of vanished namespaces.",
            type="float",
            minimum=1.0,
        ),
        Opt(
            "max_response_size",
            1048576,
            "Largest response body, in bytes, relayed from compute's metadata API.",
            type="int",
            minimum=1024,
        ),
    ],
)
