"""Image service options: the [image] section."""

from __future__ import annotations

from nimbostack.core.config import Opt, port_opt, register
from nimbostack.core.options import api_opts

DISK_FORMATS = ["ami", "ari", "aki", "vhd", "vhdx", "vmdk", "raw", "qcow2", "vdi", "iso"]
CONTAINER_FORMATS = ["ami", "ari", "aki", "bare", "ovf", "ova", "docker", "compressed"]

register(
    "image",
    "The image service (Glance v2).",
    [
        port_opt("port", 9292, "the image API"),
        *api_opts(),
        Opt("connection", "", "Database URL for the image service (empty: see [database])."),
        Opt("store_dir", "", "Directory of the file store (defaults to <data_dir>/images)."),
        Opt(
            "guest_image",
            True,
            "On `nimbostack up`, build the nimbo-guest image once (cached) and register it "
            "as a public image if it is missing.",
            type="bool",
        ),
        Opt(
            "guest_cache_dir",
            "",
            "Where the guest image build is cached (defaults to $NIMBOSTACK_GUEST_CACHE or "
            "~/.cache/nimbostack/guest).",
        ),
        Opt("disk_formats", DISK_FORMATS, "Disk formats images may declare.", type="list"),
        Opt(
            "container_formats",
            CONTAINER_FORMATS,
            "Container formats images may declare.",
            type="list",
        ),
        Opt(
            "user_storage_quota",
            0,
            "Bytes of image data each project may store (0: unlimited).",
            type="int",
            minimum=0,
        ),
        Opt(
            "image_size_cap",
            1099511627776,
            "Largest image accepted, in bytes.",
            type="int",
            minimum=1,
        ),
        Opt(
            "web_download_allowed_hosts",
            [],
            "Hosts the web-download import method may fetch from (empty: none).",
            type="list",
        ),
        Opt("limit_param_default", 25, "Images a list returns by default.", type="int", minimum=1),
        Opt("api_limit_max", 1000, "Most images a list may return.", type="int", minimum=1),
        Opt("image_tag_quota", 128, "Most tags per image.", type="int", minimum=1),
        Opt(
            "image_property_quota",
            128,
            "Most custom properties per image.",
            type="int",
            minimum=1,
        ),
        Opt(
            "inspect_timeout",
            60.0,
            "Seconds qemu-img may take to inspect uploaded data.",
            type="float",
            minimum=1,
        ),
    ],
)
