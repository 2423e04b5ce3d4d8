"""Who may do what: project members and readers versus admins, and token revocation."""

from __future__ import annotations

import httpx

from tests.functional.identity.conftest import Api, MakeApi, error, unique
from tests.support.cloud import CloudAccess


def _client(cloud: CloudAccess, make_api: MakeApi, role: str = "member") -> tuple[Api, str, str]:
    account = cloud.make_project_user(unique("iso"), role=role)
    token = cloud.issue_token(account.user, account.password, account.project)
    return make_api(token), account.project_id, account.user_id


def _valid(cloud: CloudAccess, api: Api, token: str) -> int:
    headers = {"X-Subject-Token": token}
    return api.get("/auth/tokens", headers=headers).status_code


def test_member_cannot_list_users_see_other_projects_or_grant(
    cloud: CloudAccess, api: Api, role_ids: dict[str, str], make_api: MakeApi
) -> None:
    member, project_id, user_id = _client(cloud, make_api)
    other = api.create("project", name=unique("other"))
    assert member.get(f"/projects/{project_id}").status_code == 200
    assert member.get(f"/users/{user_id}").status_code == 200  # themselves
    assert error(member.get("/users"))[0] == 403
    assert error(member.get(f"/projects/{other['id']}"))[0] == 403
    grant = member.put(f"/projects/{project_id}/users/{user_id}/roles/{role_ids['admin']}")
    assert error(grant)[0] == 403
    assert error(member.get("/role_assignments"))[0] == 403
    assert error(member.post("/projects", {"project": {"name": unique("x")}}))[0] == 403


def test_reader_cannot_write(cloud: CloudAccess, make_api: MakeApi) -> None:
    reader, project_id, _ = _client(cloud, make_api, role="reader")
    assert (
        error(reader.patch(f"/projects/{project_id}", {"project": {"description": "x"}}))[0] == 403
    )
    assert error(reader.post("/roles", {"role": {"name": unique("r")}}))[0] == 403
    assert error(reader.post("/users", {"user": {"name": unique("u")}}))[0] == 403


def test_no_token_is_401(anon: Api) -> None:
    assert error(anon.get("/users"))[0] == 401


def test_removing_the_grant_revokes_the_token(
    cloud: CloudAccess, api: Api, role_ids: dict[str, str]
) -> None:
    account = cloud.make_project_user(unique("rev"))
    token = cloud.issue_token(account.user, account.password, account.project)
    assert _valid(cloud, api, token) == 200
    path = f"/projects/{account.project_id}/users/{account.user_id}/roles/{role_ids['member']}"
    assert api.delete(path).status_code == 204
    assert _valid(cloud, api, token) == 404


def test_disabling_user_or_project_revokes_tokens(cloud: CloudAccess, api: Api) -> None:
    first = cloud.make_project_user(unique("dis"))
    token = cloud.issue_token(first.user, first.password, first.project)
    api.patch(f"/users/{first.user_id}", {"user": {"enabled": False}})
    assert _valid(cloud, api, token) == 404
    second = cloud.make_project_user(unique("dis"))
    token = cloud.issue_token(second.user, second.password, second.project)
    api.patch(f"/projects/{second.project_id}", {"project": {"enabled": False}})
    assert _valid(cloud, api, token) == 404


def test_password_change_revokes_tokens(cloud: CloudAccess, api: Api) -> None:
    account = cloud.make_project_user(unique("pwrev"))
    token = cloud.issue_token(account.user, account.password, account.project)
    body = {"user": {"password": "brand-new-pw", "original_password": account.password}}
    resp = httpx.post(f"{cloud.auth_url}/users/{account.user_id}/password", json=body)
    assert resp.status_code == 204
    assert _valid(cloud, api, token) == 404
