"""Integers beyond what a field (or 64 bits) can hold are a 400, in bodies and queries.

Each case was a 500: the value reached SQLite or orjson, which cannot hold it.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import pytest

from tests.security.conftest import Caller, error_message

JSON_PATCH = {"Content-Type": "application/openstack-images-v2.1-json-patch"}
LATEST = {"OpenStack-API-Version": "compute latest"}
OUT_OF_64_BITS = "in the request body is out of range: integers must fit in 64 bits."


@pytest.fixture(scope="module")
def image(member: Caller) -> str:
    resp = member.call("POST", "image", "/v2/images", json={"name": "ints"})
    assert resp.status_code == 201, resp.text
    return str(resp.json()["id"])


@pytest.fixture
def domain(admin: Caller) -> Iterator[str]:
    body = {"domain": {"name": f"ints-{uuid.uuid4().hex[:8]}", "enabled": False}}
    resp = admin.call("POST", "identity", "/v3/domains", json=body)
    assert resp.status_code == 201, resp.text
    domain_id = str(resp.json()["domain"]["id"])
    yield domain_id
    assert admin.call("DELETE", "identity", f"/v3/domains/{domain_id}").status_code == 204


def _patch(member: Caller, image: str, value: int) -> tuple[int, str]:
    ops = [{"op": "replace", "path": "/min_ram", "value": value}]
    resp = member.call(
        "PATCH", "image", f"/v2/images/{image}", content=json.dumps(ops), headers=JSON_PATCH
    )
    return resp.status_code, error_message(resp) if resp.status_code >= 400 else ""


def test_image_min_ram_of_2_63_is_400(member: Caller, image: str) -> None:
    assert _patch(member, image, 2**63) == (400, f"Integer 9223372036854775808 {OUT_OF_64_BITS}")


def test_image_min_ram_beyond_its_column_is_400(member: Caller, image: str) -> None:
    expected = "Invalid value for 'min_ram': 2147483648 is not an integer from 0 to 2147483647."
    assert _patch(member, image, 2**31) == (400, expected)
    assert _patch(member, image, 2**31 - 1) == (200, "")


def test_server_group_rule_of_2_64_is_400(member: Caller) -> None:
    group = {"name": "g", "policy": "anti-affinity", "rules": {"max_server_per_host": 2**64}}
    resp = member.call(
        "POST", "compute", "/v2.1/os-server-groups", json={"server_group": group}, headers=LATEST
    )
    assert resp.status_code == 400
    assert error_message(resp) == f"Integer 18446744073709551616 {OUT_OF_64_BITS}"


def test_server_group_rule_as_a_long_string_is_400(member: Caller) -> None:
    rules = {"max_server_per_host": "18446744073709551616"}
    group = {"name": "g", "policy": "anti-affinity", "rules": rules}
    resp = member.call(
        "POST", "compute", "/v2.1/os-server-groups", json={"server_group": group}, headers=LATEST
    )
    assert resp.status_code == 400
    assert error_message(resp) == (
        "Invalid input for field 'server_group.rules.max_server_per_host': "
        "'18446744073709551616' is out of range: maximum 2147483647"
    )


def test_flavor_min_ram_filter_beyond_64_bits_is_400(member: Caller) -> None:
    resp = member.call("GET", "compute", "/v2.1/flavors/detail?minRam=99999999999999999999")
    assert resp.status_code == 400
    assert error_message(resp) == "Invalid minRam filter [99999999999999999999]"


def test_limit_with_other_digits_is_400(member: Caller) -> None:
    # str.isdigit() accepts "²", which int() then refuses.
    resp = member.call("GET", "compute", "/v2.1/flavors?limit=%C2%B2")
    assert resp.status_code == 400
    assert error_message(resp) == "Invalid input for query parameters limit. Value: ²."


def test_quota_beyond_its_column_is_400(admin: Caller, member: Caller) -> None:
    path = f"/v2.1/os-quota-sets/{member.account.project_id}"
    resp = admin.call("PUT", "compute", path, json={"quota_set": {"cores": 2**31}})
    assert resp.status_code == 400
    assert error_message(resp) == (
        "Invalid input for field 'quota_set.cores': 2147483648 is greater than the maximum "
        "of 2147483647"
    )
    huge = admin.call("PUT", "compute", path, json={"quota_set": {"cores": 2**64}})
    assert huge.status_code == 400
    assert error_message(huge) == f"Integer 18446744073709551616 {OUT_OF_64_BITS}"


def test_domain_config_integer_beyond_64_bits_is_400(admin: Caller, domain: str) -> None:
    body = {"config": {"ldap": {"page_size": 2**64}}}
    resp = admin.call("PUT", "identity", f"/v3/domains/{domain}/config", json=body)
    assert resp.status_code == 400
    assert error_message(resp) == f"Integer 18446744073709551616 {OUT_OF_64_BITS}"


def test_metadef_integer_beyond_64_bits_is_400(member: Caller) -> None:
    prop = {"title": "p", "type": "integer", "maximum": 2**64}
    body = {"namespace": "ints", "properties": {"p": prop}}
    resp = member.call("POST", "image", "/v2/metadefs/namespaces", json=body)
    assert resp.status_code == 400
    assert error_message(resp) == f"Integer 18446744073709551616 {OUT_OF_64_BITS}"


def test_aggregate_id_beyond_its_column_is_404(member: Caller) -> None:
    resp = member.call(
        "POST",
        "compute",
        "/v2.1/os-aggregates/99999999999999999999999/action",
        json={"add_host": {"host": "nowhere"}},
    )
    assert resp.status_code == 404
    assert error_message(resp) == "Aggregate 99999999999999999999999 could not be found."
