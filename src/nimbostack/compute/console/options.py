"""The [console_proxy] options: where the VNC websocket proxy listens and what it serves."""

from __future__ import annotations

from nimbostack.core.config import Opt, port_opt, register

register(
    "console_proxy",
    "The VNC console proxy (noVNC over a websocket, like nova-novncproxy).",
    [
        port_opt("port", 6080, "the console proxy"),
        Opt("novnc_path", "/usr/share/novnc", "Directory of noVNC's files (Debian: novnc)."),
        Opt(
            "base_url",
            "",
            "URL of noVNC's page given to users (empty: http://<my_ip>:<port>/vnc_lite.html).",
        ),
        Opt("token_ttl", 600, "Seconds a console token stays valid.", type="int", minimum=1),
        Opt(
            "allowed_origins",
            [],
            "Host names, besides the proxy's own, whose pages may open a console "
            "(the browser's Origin header is checked against them).",
            type="list",
        ),
    ],
)
