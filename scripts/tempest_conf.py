"""Write a tempest.conf for a running Nimbostack cloud (read from its data directory).

Usage: python scripts/tempest_conf.py <data_dir> <output tempest.conf>
"""

from __future__ import annotations

import configparser
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import httpx
import yaml

# Filters our scheduler runs (compute/scheduler/filters.py), under Nova's names.
SCHEDULER_FILTERS = (
    "AvailabilityZoneFilter,ComputeFilter,ImagePropertiesFilter,"
    "ServerGroupAntiAffinityFilter,ServerGroupAffinityFilter,"
    "SameHostFilter,DifferentHostFilter,AggregateInstanceExtraSpecsFilter"
)


def build(data_dir: Path) -> configparser.ConfigParser:
    status = json.loads((data_dir / "status.json").read_text())
    services = status["services"]
    clouds = yaml.safe_load((data_dir / "clouds.yaml").read_text())["clouds"]
    admin = clouds["nimbostack"]["auth"]
    log_dir = data_dir / "tempest-logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    conf = configparser.ConfigParser()
    conf["DEFAULT"] = {"log_dir": str(log_dir), "use_stderr": "false"}
    conf["auth"] = {
        "admin_username": admin["username"],
        "admin_password": admin["password"],
        "admin_project_name": admin["project_name"],
        "admin_domain_name": "Default",
        "use_dynamic_credentials": "true",
        "tempest_roles": "member",
        "create_isolated_networks": "false",
    }
    conf["identity"] = {
        "uri_v3": admin["auth_url"],
        "auth_version": "v3",
        "region": clouds["nimbostack"]["region_name"],
        "disable_ssl_certificate_validation": "true",
        "user_lockout_failure_attempts": "0",
    }
    conf["identity-feature-enabled"] = {
        "api_v2": "false",
        "api_v3": "true",
        "application_credentials": "true",
        "project_tags": "true",
        "security_compliance": "false",
        "trust": "false",
        "access_rules": "false",
        "immutable_roles": "false",
    }
    conf["enforce_scope"] = {
        "keystone": "false",
        "glance": "false",
        "nova": "false",
        "placement": "false",
    }
    conf["image"] = {
        "region": clouds["nimbostack"]["region_name"],
        # Empty: it would enable the legacy /v2/tasks tests, which are not implemented.
        "http_image": "",
        # A qcow2 on a local web server, for the web-download import test; the cloud must
        # list that host in [image] web_download_allowed_hosts.
        "http_qcow2_image": os.environ.get("TEMPEST_HTTP_QCOW2_IMAGE", ""),
    }
    conf["image-feature-enabled"] = {
        "api_v2": "true",
        "import_image": "true",
        "os_glance_reserved": "true",
        "manage_locations": "false",
        "image_caching_enabled": "false",
    }
    available = {
        "glance": "image" in services,
        "nova": "compute" in services,
        "neutron": "network" in services,
        "cinder": "volume" in services,
        "placement": "placement" in services,
        "swift": False,
        "heat": False,
        "horizon": False,
    }
    conf["service_available"] = {k: str(v).lower() for k, v in available.items()}
    if available["nova"]:
        add_compute(conf, services, admin, clouds["nimbostack"]["region_name"])
    if available["neutron"]:
        add_network(conf, services, admin, clouds["nimbostack"]["region_name"])
    return conf


def add_network(
    conf: configparser.ConfigParser, services: dict[str, str], admin: dict[str, str], region: str
) -> None:
    """Networking as devstack configures it: each test project gets its own network,
    subnet and router to ``public``; only the extensions the cloud lists are tested."""
    headers = {"X-Auth-Token": admin_token(admin)}
    api = f"{services['network']}/v2.0"
    public = httpx.get(f"{api}/networks", params={"name": "public"}, headers=headers).json()
    extensions = httpx.get(f"{api}/extensions", headers=headers).json()["extensions"]
    conf["auth"]["create_isolated_networks"] = "true"
    conf["network"] = {
        "region": region,
        "project_network_cidr": "10.100.0.0/16",
        "project_network_mask_bits": "28",
        "floating_network_name": "public",
    }
    if public["networks"]:
        conf["network"]["public_network_id"] = public["networks"][0]["id"]
    conf["network-feature-enabled"] = {
        "api_extensions": ",".join(sorted(e["alias"] for e in extensions)),
        "ipv6": "true",
        "ipv6_subnet_attributes": "true",
        "port_security": "true",
        "floating_ips": "true",
    }


def admin_token(admin: dict[str, str]) -> str:
    body = {
        "auth": {
            "identity": {
                "methods": ["password"],
                "password": {
                    "user": {
                        "name": admin["username"],
                        "domain": {"name": admin["user_domain_name"]},
                        "password": admin["password"],
                    }
                },
            },
            "scope": {
                "project": {
                    "name": admin["project_name"],
                    "domain": {"name": admin["project_domain_name"]},
                }
            },
        }
    }
    reply = httpx.post(f"{admin['auth_url']}/auth/tokens", json=body, timeout=30)
    reply.raise_for_status()
    return reply.headers["X-Subject-Token"]


def max_microversion(root_url: str, field: str) -> str:
    """The highest microversion a service's version document advertises."""
    versions = httpx.get(root_url, timeout=30).json()["versions"]
    found = [str(v[field]) for v in versions if v.get(field)]
    return max(found, key=lambda text: tuple(int(part) for part in text.split(".")))


@dataclass
class ComputeFacts:
    """What tempest.conf needs to know about the running compute service."""

    image: str  # the nimbo-guest image
    flavor: str  # m1.nano
    flavor_alt: str  # m1.micro
    hosts: int  # compute hosts (hypervisors)
    hypervisor_type: str


def lookup(services: dict[str, str], admin: dict[str, str]) -> ComputeFacts:
    headers = {"X-Auth-Token": admin_token(admin)}
    images = httpx.get(
        f"{services['image']}/v2/images", params={"name": "nimbo-guest"}, headers=headers
    ).json()["images"]
    active = [i["id"] for i in images if i["status"] == "active"]
    if not active:
        raise SystemExit("the nimbo-guest image is not registered (yet)")
    api = f"{services['compute']}/v2.1"
    flavors = httpx.get(f"{api}/flavors", headers=headers).json()["flavors"]
    by_name = {f["name"]: f["id"] for f in flavors}
    nodes = httpx.get(f"{api}/os-hypervisors/detail", headers=headers).json()["hypervisors"]
    kinds = sorted({str(n["hypervisor_type"]).lower() for n in nodes}) or ["fake"]
    return ComputeFacts(active[0], by_name["m1.nano"], by_name["m1.micro"], len(nodes), kinds[0])


def add_compute(
    conf: configparser.ConfigParser, services: dict[str, str], admin: dict[str, str], region: str
) -> None:
    facts = lookup(services, admin)
    # Moves (cold and live migration) need a second host to move to.
    moves = str(facts.hosts >= 2).lower()
    conf["compute"] = {
        "image_ref": facts.image,
        "image_ref_alt": facts.image,
        "flavor_ref": facts.flavor,
        "flavor_ref_alt": facts.flavor_alt,
        "min_microversion": "2.1",
        "max_microversion": max_microversion(services["compute"], "version"),
        # Servers boot on the test project's own network (create_isolated_networks), or
        # without NICs when there is no networking service.
        "fixed_network_name": "",
        "build_timeout": "196",
        "build_interval": "1",
        "region": region,
        "min_compute_nodes": str(max(facts.hosts, 1)),
        "shelved_offload_time": "0",
        "hypervisor_type": facts.hypervisor_type,
    }
    conf["compute-feature-enabled"] = {
        # What the API and the fake driver implement.
        "console_output": "true",
        "pause": "true",
        "suspend": "true",
        "shelve": "true",
        "shelve_migrate": "false",
        "snapshot": "true",
        "resize": "true",
        "rescue": "true",
        "stable_rescue": "false",
        "disk_config": "false",
        "config_drive": "true",
        # The create and rebuild answers carry adminPass (Nova's default).
        "enable_instance_password": "true",
        "metadata_service": "true",
        "scheduler_enabled_filters": SCHEDULER_FILTERS,
        "cold_migration": moves,
        "live_migration": moves,
        "live_migrate_back_and_forth": moves,
        "block_migration_for_live_migration": "false",
        "can_migrate_between_any_hosts": moves,
        # Not implemented: changing the admin password, personality files, the remote
        # consoles of the fake driver, anything that needs networking or volumes.
        "change_password": "false",
        "personality": "false",
        "vnc_console": "false",
        "spice_console": "false",
        "serial_console": "false",
        "interface_attach": "false",
        "attach_encrypted_volume": "false",
        "swap_volume": "false",
        "volume_multiattach": "false",
        "volume_backed_live_migration": "false",
        "ide_bus": "false",
        "unified_limits": "false",
        # Our default policies know admin, member and reader (no "manager" role).
        "nova_policy_roles": "admin,member,reader",
    }
    conf["validation"] = {"run_validation": "false"}
    conf["network-feature-enabled"] = {"floating_ips": "false"}  # add_network may say more
    if "placement" in services:
        conf["placement"] = {
            "region": region,
            "min_microversion": "1.0",
            "max_microversion": max_microversion(services["placement"], "max_version"),
        }


def main() -> None:
    data_dir, output = Path(sys.argv[1]), Path(sys.argv[2])
    output.parent.mkdir(parents=True, exist_ok=True)
    with output.open("w") as handle:
        build(data_dir).write(handle)
    print(output)


if __name__ == "__main__":
    main()
