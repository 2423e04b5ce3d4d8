"""Callers for the hostile-input tests: a fresh project member, and the cloud's admin."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.support.cloud import Account, RunningCloud


@dataclass
class Caller:
    """One token on the running cloud, with a client per service."""

    cloud: RunningCloud
    account: Account
    token: str
    http: httpx.Client

    def call(
        self, method: str, service: str, path: str, *, token: bool = True, **kw: Any
    ) -> httpx.Response:
        headers = dict(kw.pop("headers", {}))
        if token:
            headers["X-Auth-Token"] = self.token
        return self.http.request(method, self.cloud.url(service) + path, headers=headers, **kw)


def error_message(resp: httpx.Response) -> str:
    """The message of an error body, in any of the services' shapes."""
    body = resp.json()
    if "error" in body:
        return str(body["error"]["message"])
    if "errors" in body:
        return str(body["errors"][0]["detail"])
    if "message" in body and "code" in body:
        return str(body["message"])
    return str(next(iter(body.values()))["message"])


@pytest.fixture(scope="module")
def member(cloud: RunningCloud) -> Iterator[Caller]:
    account = cloud.make_project_user("hostile")
    token = cloud.project_token(account.user, account.password, account.project)
    with httpx.Client(timeout=30) as http:
        yield Caller(cloud, account, token, http)


@pytest.fixture(scope="module")
def admin(cloud: RunningCloud) -> Iterator[Caller]:
    with httpx.Client(timeout=30) as http:
        yield Caller(cloud, cloud.admin, cloud.admin_token(), http)
