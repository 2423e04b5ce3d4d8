"""Options shared by every process: [DEFAULT] and [database]; and every API's own limits."""

from __future__ import annotations

from nimbostack.core.config import Config, Opt, register

# Nova's and Keystone's default ([oslo_middleware] max_request_body_size).
DEFAULT_MAX_BODY = 114688

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
        Opt(
            "max_request_body_size",
            DEFAULT_MAX_BODY,
            "Largest request body, in bytes, an API reads (a larger one gets 413). "
            "Image data uploads are streamed and not bound by it.",
            type="int",
            minimum=1,
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


def api_opts() -> list[Opt]:
    """Options every API service adds to its own section."""
    return [
        Opt(
            "max_request_body_size",
            0,
            "Largest request body, in bytes, this API reads; 0: [DEFAULT] max_request_body_size.",
            type="int",
            minimum=0,
        ),
    ]


def max_body_size(conf: Config, service: str) -> int:
    """The request body limit of ``service``'s API."""
    own = conf.section(service).get("max_request_body_size")
    return int(own or conf.DEFAULT.get("max_request_body_size") or DEFAULT_MAX_BODY)
