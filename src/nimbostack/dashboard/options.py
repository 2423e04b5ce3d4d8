"""The [dashboard] options: where the web console listens and which cloud it talks to."""

from __future__ import annotations

from nimbostack.core.config import Opt, port_opt, register

register(
    "dashboard",
    "The web dashboard (Horizon's place): pages over the public APIs only.",
    [
        port_opt("port", 8080, "the dashboard"),
        Opt(
            "auth_url",
            "",
            "Identity v3 URL of the cloud to manage (empty: this cloud's identity). Any "
            "cloud speaking the OpenStack APIs works.",
        ),
        Opt(
            "region",
            "",
            "Region named in downloaded clouds.yaml and openrc files (empty: [DEFAULT] region).",
        ),
        Opt("default_domain", "Default", "Domain name pre-filled on the login form."),
        Opt("page_size", 50, "Rows per page of long lists.", type="int", minimum=1),
        Opt(
            "fast_tick",
            0.1,
            "Seconds between API reads of a live stream while something changes.",
            type="float",
            minimum=0.02,
        ),
        Opt(
            "slow_tick",
            3.0,
            "Seconds between API reads of a live stream while nothing changes.",
            type="float",
            minimum=0.1,
        ),
        Opt(
            "idle_timeout",
            0,
            "Seconds of inactivity after which a session ends (0: only when its token expires).",
            type="int",
            minimum=0,
        ),
        Opt(
            "secure_cookies",
            False,
            "Mark the session cookie Secure (set it when the dashboard is served over TLS).",
            type="bool",
        ),
    ],
)
