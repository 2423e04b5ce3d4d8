"""Options shared by every process: [DEFAULT] and [database]."""

from __future__ import annotations

from nimbostack.core.config import Opt, register

register(
    "DEFAULT",
    "Settings shared by every service and process.",
    [
        Opt(
            "transport_url",
            "memory://",
            "Message bus: memory:// (one process) or "
            "rabbit://user:pass@host:5672/ for several machines.",
        ),
        Opt(
            "my_ip",
            "127.0.0.1",
            "Address other hosts and clients use to reach this one; "
            "it appears in the catalog's endpoints.",
        ),
        Opt("bind_host", "127.0.0.1", "Address the APIs listen on."),
        Opt("host", "", "Name of this host (defaults to the machine's hostname)."),
        Opt("debug", False, "Log at debug level.", type="bool"),
        Opt(
            "data_dir",
            "",
            "Where databases, keys, images and instances live "
            "(defaults to $NIMBOSTACK_DATA_DIR or ~/.local/share/nimbostack).",
        ),
        Opt("region", "RegionOne", "Region name used in the catalog."),
        Opt(
            "policy_dir",
            "",
            "Directory of <service>.yaml policy override files (defaults to <data_dir>/policy).",
        ),
        Opt(
            "loop_watch_ms",
            0,
            "For tests: log an EVENT LOOP BLOCKED warning for any event-loop callback that "
            "uses more than this many milliseconds of CPU once the process has started "
            "(0: off, no cost).",
            type="int",
            minimum=0,
        ),
    ],
)

register(
    "database",
    "Shared database settings. Each service can override with its own `connection`.",
    [
        Opt(
            "connection",
            "",
            "Base URL of a PostgreSQL or MySQL server for every service "
            "(each service uses database nimbostack_<service> on it). Empty: a SQLite "
            "file per service in the data directory.",
        ),
    ],
)
