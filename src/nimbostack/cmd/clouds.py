"""Writes clouds.yaml for the openstack CLI, and merges it into the user's own file."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml


def cloud_entry(
    auth_url: str, user: str, password: str, project: str, region: str
) -> dict[str, Any]:
    return {
        "auth": {
            "auth_url": auth_url,
            "username": user,
            "password": password,
            "project_name": project,
            "user_domain_name": "Default",
            "project_domain_name": "Default",
        },
        "region_name": region,
        "identity_api_version": 3,
        "interface": "public",
    }


def _write(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        yaml.safe_dump(data, handle, default_flow_style=False, sort_keys=False)
    tmp.rename(path)


def write_clouds(target: Path, clouds: dict[str, dict[str, Any]], user_file: Path | None) -> None:
    """Write ``target`` with our clouds; merge them into ``user_file`` leaving others alone."""
    _write(target, {"clouds": clouds})
    if user_file is None:
        return
    existing: dict[str, Any] = {}
    if user_file.exists():
        loaded = yaml.safe_load(user_file.read_text()) or {}
        existing = loaded if isinstance(loaded, dict) else {}
    merged = dict(existing.get("clouds") or {})
    merged.update(clouds)
    existing["clouds"] = merged
    _write(user_file, existing)
