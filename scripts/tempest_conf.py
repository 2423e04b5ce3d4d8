"""Write a tempest.conf for a running Nimbostack cloud (read from its data directory).

Usage: python scripts/tempest_conf.py <data_dir> <output tempest.conf>
"""

from __future__ import annotations

import configparser
import json
import os
import sys
from pathlib import Path

import yaml


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
    return conf


def main() -> None:
    data_dir, output = Path(sys.argv[1]), Path(sys.argv[2])
    output.parent.mkdir(parents=True, exist_ok=True)
    with output.open("w") as handle:
        build(data_dir).write(handle)
    print(output)


if __name__ == "__main__":
    main()
