"""Credentials and EC2 credentials over REST: CRUD, blob rules, owner-only visibility."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.functional.identity.conftest import Api, error, unique
from tests.support.cloud import Account, CloudAccess


@pytest.fixture
def owner(cloud: CloudAccess) -> Account:
    return cloud.make_project_user("cred")


@pytest.fixture
def owner_api(cloud: CloudAccess, owner: Account) -> Iterator[Api]:
    client = Api(cloud, cloud.project_token(owner.user, owner.password, owner.project))
    yield client
    client.close()


def _ec2_blob(access: str) -> str:
    return json.dumps({"access": access, "secret": "s3cret"})


def test_credential_crud_by_owner(owner_api: Api, owner: Account) -> None:
    access = unique("access")
    made = owner_api.post(
        "/credentials",
        {
            "credential": {
                "user_id": owner.user_id,
                "project_id": owner.project_id,
                "type": "ec2",
                "blob": _ec2_blob(access),
            }
        },
    )
    assert made.status_code == 201, made.text
    cred = made.json()["credential"]
    assert json.loads(cred["blob"])["access"] == access
    assert cred["links"]["self"].endswith(f"/v3/credentials/{cred['id']}")
    new_blob = _ec2_blob(access)
    patched = owner_api.patch(f"/credentials/{cred['id']}", {"credential": {"blob": new_blob}})
    assert patched.status_code == 200 and patched.json()["credential"]["id"] == cred["id"]
    shown = owner_api.get(f"/credentials/{cred['id']}").json()["credential"]
    assert shown["blob"] == new_blob and shown["project_id"] == owner.project_id
    listed = owner_api.get("/credentials", params={"type": "ec2"}).json()["credentials"]
    assert [c["id"] for c in listed] == [cred["id"]]
    assert owner_api.delete(f"/credentials/{cred['id']}").status_code == 204
    assert error(owner_api.get(f"/credentials/{cred['id']}")) == (
        404,
        f"Could not find credential: {cred['id']}.",
    )


def test_bad_credentials(api: Api, owner: Account) -> None:
    base = {"user_id": owner.user_id, "project_id": owner.project_id, "type": "ec2"}
    not_json = api.post("/credentials", {"credential": {**base, "blob": "not json"}})
    assert error(not_json)[0] == 400 and "Invalid blob in credential" in error(not_json)[1]
    no_project = {**base, "project_id": None, "blob": _ec2_blob("a")}
    assert "ec2 needs a project" in error(api.post("/credentials", {"credential": no_project}))[1]
    no_user = {**base, "user_id": "nope", "blob": "x", "type": "totp"}
    assert error(api.post("/credentials", {"credential": no_user})) == (
        400,
        "Could not find user: nope.",
    )
    missing = api.post("/credentials", {"credential": {"type": "totp"}})
    assert error(missing)[0] == 400 and "blob" in error(missing)[1]
    dup = {**base, "blob": _ec2_blob(unique("dup"))}
    assert api.post("/credentials", {"credential": dup}).status_code == 201
    assert error(api.post("/credentials", {"credential": dup}))[0] == 409


def test_credentials_are_invisible_to_other_users(
    cloud: CloudAccess, api: Api, owner: Account
) -> None:
    secret_blob = "top-secret-" + unique("b")
    body = {"user_id": owner.user_id, "type": "totp", "blob": secret_blob}
    cred = api.post("/credentials", {"credential": body}).json()["credential"]
    other = cloud.make_project_user("snoop")
    snoop = Api(cloud, cloud.project_token(other.user, other.password, other.project))
    try:
        assert error(snoop.get(f"/credentials/{cred['id']}"))[0] == 404
        assert error(snoop.delete(f"/credentials/{cred['id']}"))[0] == 404
        assert snoop.get("/credentials").json()["credentials"] == []
        stolen = {"user_id": owner.user_id, "type": "totp", "blob": "x"}
        assert error(snoop.post("/credentials", {"credential": stolen}))[0] == 403
    finally:
        snoop.close()
    # The blob is encrypted at rest: it never appears in the SQLite files (and WAL).
    for db_file in Path(cloud.data_dir).glob("identity.sqlite*"):
        assert secret_blob.encode() not in db_file.read_bytes()


def test_ec2_credentials(owner_api: Api, owner: Account) -> None:
    path = f"/users/{owner.user_id}/credentials/OS-EC2"
    made = owner_api.post(path, {"tenant_id": owner.project_id})
    assert made.status_code == 201, made.text
    cred = made.json()["credential"]
    assert cred["user_id"] == owner.user_id and cred["tenant_id"] == owner.project_id
    assert cred["access"] and cred["secret"]
    shown = owner_api.get(f"{path}/{cred['access']}").json()["credential"]
    assert shown["secret"] == cred["secret"]
    listed = owner_api.get(path).json()["credentials"]
    assert [c["access"] for c in listed] == [cred["access"]]
    assert owner_api.delete(f"{path}/{cred['access']}").status_code == 204
    assert error(owner_api.get(f"{path}/{cred['access']}")) == (
        404,
        f"Could not find credential: {cred['access']}.",
    )
    assert error(owner_api.post(path, {}))[0] == 400


def test_ec2_credentials_of_another_user_are_forbidden(cloud: CloudAccess, owner_api: Api) -> None:
    other = cloud.make_project_user("ec2other")
    resp = owner_api.post(
        f"/users/{other.user_id}/credentials/OS-EC2", {"tenant_id": other.project_id}
    )
    assert error(resp)[0] == 403


def test_deleting_a_project_deletes_its_credentials(api: Api, owner: Account) -> None:
    project = api.create("project", name=unique("credp"))
    body = {"user_id": owner.user_id, "project_id": project["id"], "type": "totp", "blob": "x"}
    cred = api.post("/credentials", {"credential": body}).json()["credential"]
    assert api.delete(f"/projects/{project['id']}").status_code == 204
    assert error(api.get(f"/credentials/{cred['id']}"))[0] == 404
