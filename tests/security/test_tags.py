"""Tags with control characters are refused; any other text is stored and quoted in headers.

Before, ``PUT .../tags/%0d%0aX:1`` stored the tag and then dropped the connection (the
CR/LF went raw into the Location header), and an emoji tag was a 500 (a header is
Latin-1). One test per service that has tags: servers, projects, images.
"""

from __future__ import annotations

from urllib.parse import quote

import httpx
import pytest

from tests.security.conftest import Caller, error_message
from tests.security.world import active_image, boot_server

LATEST = {"OpenStack-API-Version": "compute latest"}
CRLF = "%0d%0aX:1"
EMOJI = "\U0001f600"


@pytest.fixture(scope="module")
def owned(member: Caller) -> tuple[str, str]:
    """An image and a server of the member's project: (image id, server id)."""
    with httpx.Client(headers={"X-Auth-Token": member.token}, timeout=30) as client:
        image = active_image(client, member.cloud.url("image"))
        server, _flavor = boot_server(client, member.cloud.url("compute"), image)
    return image, server


@pytest.fixture
def image(owned: tuple[str, str]) -> str:
    return owned[0]


@pytest.fixture
def server(owned: tuple[str, str]) -> str:
    return owned[1]


def _server_tags(member: Caller, server: str) -> list[str]:
    resp = member.call("GET", "compute", f"/v2.1/servers/{server}/tags", headers=LATEST)
    tags: list[str] = resp.json()["tags"]
    return tags


def test_server_tag_with_crlf_is_400_and_not_stored(member: Caller, server: str) -> None:
    resp = member.call("PUT", "compute", f"/v2.1/servers/{server}/tags/{CRLF}", headers=LATEST)
    assert resp.status_code == 400
    assert error_message(resp) == (
        "Invalid input: '\\r\\nX:1' does not match '^[^,/\\\\x00-\\\\x1f\\\\x7f-\\\\x9f]*$'"
    )
    assert _server_tags(member, server) == []


def test_server_tag_in_emoji_is_stored_and_quoted(member: Caller, server: str) -> None:
    resp = member.call(
        "PUT", "compute", f"/v2.1/servers/{server}/tags/{quote(EMOJI)}", headers=LATEST
    )
    assert resp.status_code == 201, resp.text
    assert resp.headers["Location"].endswith(f"/v2.1/servers/{server}/tags/%F0%9F%98%80")
    assert _server_tags(member, server) == [EMOJI]


def test_project_tag_with_crlf_or_nul_is_400(admin: Caller, member: Caller) -> None:
    project = member.account.project_id
    crlf = admin.call("PUT", "identity", f"/v3/projects/{project}/tags/{CRLF}")
    assert crlf.status_code == 400
    assert error_message(crlf) == (
        "Invalid input for field 'tags': '\\r\\nX:1' must be 1 to 255 printable characters "
        "without '/' or ','"
    )
    nul = admin.call("PUT", "identity", f"/v3/projects/{project}/tags/%00")
    assert nul.status_code == 400
    assert error_message(nul) == "Invalid characters in path parameter 'tag': '\\x00'"
    listed = admin.call("GET", "identity", f"/v3/projects/{project}/tags").json()
    assert listed == {"tags": []}


def test_project_tag_in_emoji_is_stored_and_quoted(admin: Caller, member: Caller) -> None:
    project = member.account.project_id
    resp = admin.call("PUT", "identity", f"/v3/projects/{project}/tags/{quote(EMOJI)}")
    assert resp.status_code == 201, resp.text
    assert resp.headers["Location"].endswith(f"/v3/projects/{project}/tags/%F0%9F%98%80")
    listed = admin.call("GET", "identity", f"/v3/projects/{project}/tags").json()
    assert listed == {"tags": [EMOJI]}


def test_project_tags_replaced_with_a_control_character_are_400(
    admin: Caller, member: Caller
) -> None:
    project = member.account.project_id
    resp = admin.call("PUT", "identity", f"/v3/projects/{project}/tags", json={"tags": ["a\tb"]})
    assert resp.status_code == 400
    assert error_message(resp).startswith(
        "Invalid input for field 'tags.0': 'a\\tb' does not match"
    )


def test_image_tag_with_crlf_is_400_and_not_stored(member: Caller, image: str) -> None:
    resp = member.call("PUT", "image", f"/v2/images/{image}/tags/{CRLF}")
    assert resp.status_code == 400
    assert error_message(resp) == "Invalid value for 'tags': '\\r\\nX:1' has control characters."
    assert member.call("GET", "image", f"/v2/images/{image}").json()["tags"] == []


def test_image_tag_in_emoji_is_stored(member: Caller, image: str) -> None:
    resp = member.call("PUT", "image", f"/v2/images/{image}/tags/{quote(EMOJI)}")
    assert resp.status_code == 204, resp.text
    assert member.call("GET", "image", f"/v2/images/{image}").json()["tags"] == [EMOJI]
