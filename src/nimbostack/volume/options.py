"""Block storage options: [volume] and one [backend_<name>] section per storage backend."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nimbostack.core.config import Config, Opt, port_opt, register, register_family
from nimbostack.core.errors import ConfigError
from nimbostack.core.options import api_opts

register(
    "volume",
    "The block storage service (Cinder): API, scheduler and one manager per backend.",
    [
        port_opt("port", 8776, "the block storage API"),
        *api_opts(),
        Opt("connection", "", "Database URL for block storage (empty: see [database])."),
        Opt(
            "enabled_backends",
            ["file"],
            "Backends this host serves, each described by a [backend_<name>] section; "
            "one volume manager runs per backend.",
            type="list",
        ),
        Opt(
            "default_volume_type",
            "__DEFAULT__",
            "Volume type of volumes created without one (created on start if missing).",
        ),
        Opt("storage_availability_zone", "nova", "Availability zone of this host's backends."),
        Opt(
            "export_address",
            "",
            "Address the NBD exports of volumes to other hosts listen on (empty: [DEFAULT] my_ip).",
        ),
        Opt(
            "default_availability_zone",
            "",
            "Zone of volumes created without one (empty: storage_availability_zone).",
        ),
        Opt(
            "report_interval",
            10.0,
            "Seconds between a manager's capacity reports and heartbeats.",
            type="float",
            minimum=0.1,
        ),
        Opt(
            "service_down_time",
            60,
            "Seconds without a heartbeat before a service is reported down.",
            type="int",
            minimum=1,
        ),
        Opt("rpc_timeout", 60.0, "Seconds the API waits for a manager's answer.", type="float"),
        Opt("quota_volumes", 10, "Volumes per project (-1: no limit).", type="int", minimum=-1),
        Opt("quota_snapshots", 10, "Snapshots per project (-1: no limit).", type="int", minimum=-1),
        Opt(
            "quota_gigabytes",
            1000,
            "GiB of volumes and snapshots per project (-1: no limit).",
            type="int",
            minimum=-1,
        ),
        Opt("quota_backups", 10, "Backups per project (-1: no limit).", type="int", minimum=-1),
        Opt(
            "quota_backup_gigabytes",
            1000,
            "GiB of backups per project (-1: no limit).",
            type="int",
            minimum=-1,
        ),
        Opt(
            "per_volume_size_limit",
            -1,
            "Largest volume in GiB (-1: no limit).",
            type="int",
            minimum=-1,
        ),
        Opt(
            "backup_posix_path",
            "",
            "Directory of the posix backup store (empty: <data_dir>/backups).",
        ),
        Opt(
            "backup_compression_algorithm",
            "zstd",
            "Compression of backup chunks.",
            choices=("zstd", "zlib", "none"),
        ),
        Opt(
            "backup_chunk_size",
            4 * 1024 * 1024,
            "Bytes per backup chunk (all-zero chunks are not stored).",
            type="int",
            minimum=64 * 1024,
        ),
        Opt(
            "image_volume_cache_enabled",
            True,
            "Keep each image converted once per backend, so later volumes copy it.",
            type="bool",
        ),
        Opt(
            "image_volume_cache_max_count",
            50,
            "Images kept in a backend's image cache (0: no limit).",
            type="int",
            minimum=0,
        ),
        Opt(
            "image_conversion_timeout",
            3600.0,
            "Seconds a download and conversion of one image may take.",
            type="float",
            minimum=1.0,
        ),
        Opt(
            "service_token_roles",
            ["service", "admin"],
            "Roles of a service token (X-Service-Token) that mark a request as coming "
            "from another service (only such requests may delete a live attachment).",
            type="list",
        ),
        Opt(
            "enable_force_upload",
            False,
            "Allow uploading an in-use volume to an image with force.",
            type="bool",
        ),
        Opt(
            "message_ttl",
            2592000,
            "Seconds a user message is kept.",
            type="int",
            minimum=1,
        ),
    ],
)

_BACKEND_OPTS = [
    Opt(
        "volume_driver",
        "",
        "Backend driver: file or fake (empty: the backend's name, when it names a driver).",
    ),
    Opt(
        "volumes_dir",
        "",
        "file: directory of the volume files (empty: <data_dir>/volumes/<backend>).",
    ),
    Opt(
        "volume_backend_name",
        "",
        "Name volume types select with the volume_backend_name extra spec "
        "(empty: the backend's name).",
    ),
    Opt(
        "volume_format",
        "raw",
        "file: format of new volume files: raw (sparse files: thin where the filesystem "
        "has holes, as ext4, xfs and btrfs do) or qcow2 (thin anywhere).",
        choices=("raw", "qcow2"),
    ),
    Opt(
        "max_over_subscription_ratio",
        20.0,
        "Thin provisioning: GiB that may be promised per GiB of real capacity.",
        type="float",
        minimum=1.0,
    ),
    Opt(
        "reserved_percentage",
        0,
        "Percentage of the capacity kept free.",
        type="int",
        minimum=0,
    ),
    Opt(
        "total_capacity_gb",
        0,
        "fake: capacity it reports (0: 1000 GiB); file: cap below the filesystem's size "
        "(0: the filesystem's size).",
        type="int",
        minimum=0,
    ),
]

register_family(
    "backend_",
    "One volume backend named in [volume] enabled_backends (section [backend_<name>]).",
    _BACKEND_OPTS,
)

DRIVERS = ("file", "fake")


@dataclass(frozen=True)
class BackendOptions:
    """The resolved settings of one backend, defaults filled in."""

    name: str
    driver: str
    backend_name: str
    volumes_dir: Path
    volume_format: str
    max_over_subscription_ratio: float
    reserved_percentage: int
    total_capacity_gb: int
    export_address: str = "127.0.0.1"


def backend_options(conf: Config, name: str, data_dir: Path) -> BackendOptions:
    """The settings of backend ``name`` from its [backend_<name>] section (or defaults)."""
    values: dict[str, Any] = {opt.name: opt.default for opt in _BACKEND_OPTS}
    values.update(conf.section(f"backend_{name}").as_dict())
    driver = str(values["volume_driver"] or (name if name in DRIVERS else ""))
    if driver not in DRIVERS:
        raise ConfigError(
            f"[backend_{name}] volume_driver: {driver or '(unset)'!r} is not one of "
            f"{', '.join(DRIVERS)}"
        )
    return BackendOptions(
        name=name,
        driver=driver,
        backend_name=str(values["volume_backend_name"] or name),
        volumes_dir=Path(values["volumes_dir"] or data_dir / "volumes" / name),
        volume_format=str(values["volume_format"]),
        max_over_subscription_ratio=float(values["max_over_subscription_ratio"]),
        reserved_percentage=int(values["reserved_percentage"]),
        total_capacity_gb=int(values["total_capacity_gb"]),
        export_address=str(conf.volume.export_address or conf.DEFAULT.my_ip),
    )
