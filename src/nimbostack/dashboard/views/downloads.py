"""``clouds.yaml`` and ``openrc`` for the current project, for the CLI and the SDKs.

Neither file holds a password or a token: the CLI asks for the password (openrc) or
the user adds it (clouds.yaml), as with Horizon's downloads.
"""

from __future__ import annotations

import re
import shlex

import yaml
from starlette.responses import Response

from nimbostack.dashboard.web import Page


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-") or "project"


def clouds_yaml(page: Page) -> str:
    token = page.user.token
    settings = page.state.settings
    entry = {
        "auth": {
            "auth_url": settings.auth_url,
            "username": token.user_name,
            "project_id": token.project_id,
            "project_name": token.project_name,
            "user_domain_name": token.domain_name,
        },
        "region_name": settings.region,
        "interface": "public",
        "identity_api_version": 3,
    }
    cloud = _slug(f"{token.project_name}")
    return yaml.safe_dump({"clouds": {cloud: entry}}, default_flow_style=False, sort_keys=False)


def openrc(page: Page) -> str:
    token = page.user.token
    settings = page.state.settings
    values = {
        "OS_AUTH_URL": settings.auth_url,
        "OS_PROJECT_ID": token.project_id or "",
        "OS_PROJECT_NAME": token.project_name or "",
        "OS_USER_DOMAIN_NAME": token.domain_name,
        "OS_USERNAME": token.user_name,
        "OS_REGION_NAME": settings.region,
        "OS_INTERFACE": "public",
        "OS_IDENTITY_API_VERSION": "3",
    }
    lines = ["#!/usr/bin/env bash", "# Source this file: . ./openrc"]
    lines += [f"export {key}={shlex.quote(value)}" for key, value in values.items()]
    lines += [
        'echo "Please enter your password for project $OS_PROJECT_NAME as user $OS_USERNAME: "',
        "read -sr OS_PASSWORD_INPUT",
        'export OS_PASSWORD="$OS_PASSWORD_INPUT"',
        "unset OS_PASSWORD_INPUT",
    ]
    return "\n".join(lines) + "\n"


def _attachment(body: str, filename: str, media_type: str) -> Response:
    return Response(
        body,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


async def download_clouds_yaml(page: Page) -> Response:
    return _attachment(clouds_yaml(page), "clouds.yaml", "application/yaml")


async def download_openrc(page: Page) -> Response:
    name = _slug(page.user.token.project_name or "project")
    return _attachment(openrc(page), f"{name}-openrc.sh", "text/x-shellscript")
