"""Compute's options: [compute] (api, conductor, scheduler), [compute_agent], [fake_driver]."""

from __future__ import annotations

from nimbostack.core.config import Opt, port_opt, register
from nimbostack.core.options import api_opts

register(
    "compute",
    "The compute service (Nova): API, conductor and scheduler.",
    [
        port_opt("port", 8774, "the compute API"),
        *api_opts(),
        port_opt("metadata_port", 8775, "the metadata API"),
        Opt("connection", "", "Database URL for compute (empty: see [database])."),
        Opt(
            "metadata_proxy_shared_secret",
            "",
            "Deprecated: use [metadata] shared_secret, which wins when both are set.",
            secret=True,
        ),
        Opt("default_availability_zone", "nova", "Availability zone of hosts in none."),
        Opt(
            "vif_plugging_timeout",
            300,
            "Seconds a build waits for network-vif-plugged of each port (0: no wait).",
            type="int",
            minimum=0,
        ),
        Opt(
            "vif_plugging_is_fatal",
            True,
            "Whether a build fails when its ports' network-vif-plugged does not come in time.",
            type="bool",
        ),
        Opt(
            "max_attempts",
            3,
            "Hosts tried for one build before it goes to ERROR.",
            type="int",
            minimum=1,
        ),
        Opt(
            "shelved_offload_time",
            0,
            "Seconds a shelved instance keeps its host: 0 frees it at once, -1 never.",
            type="int",
            minimum=-1,
        ),
        Opt(
            "service_down_time",
            60,
            "Seconds without a heartbeat before a service is down.",
            type="int",
            minimum=1,
        ),
        Opt(
            "force_config_drive",
            True,
            "Attach a config drive to every instance. Set false only where the DHCP and L2 "
            "agents really wire guests: a guest without a drive then reads its metadata "
            "from 169.254.169.254 through networking's metadata agent (the drive alone "
            "carries the admin password).",
            type="bool",
        ),
        Opt(
            "enable_instance_password",
            True,
            "Generate a root password for a server built or rebuilt without adminPass, and "
            "answer the password (generated or given) as adminPass. Either reaches the "
            "guest through its config drive; false: none is generated or answered.",
            type="bool",
        ),
        Opt(
            "max_placement_candidates",
            1000,
            "Candidates asked of placement per request.",
            type="int",
            minimum=1,
        ),
        Opt(
            "ram_weight_multiplier", 1.0, "Weight of free RAM (negative packs hosts).", type="float"
        ),
        Opt(
            "cpu_weight_multiplier",
            1.0,
            "Weight of free vCPUs (negative packs hosts).",
            type="float",
        ),
        Opt(
            "disk_weight_multiplier",
            1.0,
            "Weight of free disk (negative packs hosts).",
            type="float",
        ),
        Opt(
            "max_servers_per_request",
            100,
            "Servers one create request may make (a larger max_count gets this many; "
            "a larger min_count is refused).",
            type="int",
            minimum=1,
        ),
        Opt(
            "quota_instances",
            10,
            "Default instances per project (-1: unlimited).",
            type="int",
            minimum=-1,
        ),
        Opt(
            "quota_cores", 20, "Default vCPUs per project (-1: unlimited).", type="int", minimum=-1
        ),
        Opt(
            "quota_ram",
            51200,
            "Default RAM (MiB) per project (-1: unlimited).",
            type="int",
            minimum=-1,
        ),
        Opt("quota_key_pairs", 100, "Default keypairs per user.", type="int", minimum=-1),
        Opt(
            "quota_server_groups", 10, "Default server groups per project.", type="int", minimum=-1
        ),
        Opt(
            "quota_server_group_members",
            10,
            "Default members per server group.",
            type="int",
            minimum=-1,
        ),
        Opt(
            "quota_metadata_items",
            128,
            "Default metadata items per server.",
            type="int",
            minimum=-1,
        ),
    ],
)

register(
    "compute_agent",
    "The compute agent (one per hypervisor host).",
    [
        Opt(
            "driver",
            "qemu",
            "Hypervisor driver: qemu (real guests) or fake (simulated "
            "hosts for tests and scale runs).",
            choices=("fake", "qemu"),
        ),
        Opt("host", "", "This agent's host name (defaults to [DEFAULT] host)."),
        Opt(
            "instances_path",
            "",
            "Where guests' disks and state live (defaults to <data_dir>/instances).",
        ),
        Opt("report_interval", 10.0, "Seconds between heartbeats.", type="float", minimum=0.1),
        Opt(
            "sync_power_state_interval",
            30.0,
            "Seconds between power-state syncs.",
            type="float",
            minimum=0.1,
        ),
        Opt(
            "reserved_host_memory_mb", 512, "Host RAM kept back from guests.", type="int", minimum=0
        ),
        Opt("reserved_host_disk_mb", 0, "Host disk kept back from guests.", type="int", minimum=0),
        Opt("cpu_allocation_ratio", 16.0, "vCPU overcommit.", type="float", minimum=0.0),
        Opt("ram_allocation_ratio", 1.5, "RAM overcommit.", type="float", minimum=0.0),
        Opt("disk_allocation_ratio", 1.0, "Disk overcommit.", type="float", minimum=0.0),
        Opt(
            "image_cache_max_idle",
            86400,
            "Seconds an unused base image stays cached.",
            type="int",
            minimum=0,
        ),
        Opt(
            "fake_hosts",
            1,
            "With the fake driver: how many simulated hosts this process runs.",
            type="int",
            minimum=1,
        ),
    ],
)

register(
    "fake_driver",
    "The fake hypervisor: no guests, simulated hosts, for tests and scale benchmarks.",
    [
        Opt("vcpus", 64, "vCPUs of each simulated host.", type="int", minimum=1),
        Opt("memory_mb", 262144, "RAM (MiB) of each simulated host.", type="int", minimum=1),
        Opt("local_gb", 4000, "Disk (GiB) of each simulated host.", type="int", minimum=1),
        Opt("delay_ms", 0, "Simulated time each operation takes.", type="int", minimum=0),
    ],
)

register(
    "trace",
    "Trace spans compute keeps for `nimbostack trace` (boots and user requests; "
    "periodic work such as heartbeats is not traced).",
    [
        Opt(
            "retention_hours",
            168,
            "Hours a span is kept; the conductor deletes older ones periodically.",
            type="int",
            minimum=1,
        ),
    ],
)
