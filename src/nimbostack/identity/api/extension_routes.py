"""Routes of identity's smaller APIs: credentials, EC2, policies, endpoint groups,
domain configuration and OAuth1 consumers.
"""

from __future__ import annotations

from nimbostack.core.api.app import Route
from nimbostack.identity.api import (
    credentials,
    domain_config,
    ec2_credentials,
    endpoint_groups,
    oauth_consumers,
    policy_blobs,
)

_C, _EC2, _P = credentials, ec2_credentials, policy_blobs
_EG, _DC, _OC = endpoint_groups, domain_config, oauth_consumers
_EC2_PATH = "/v3/users/{user_id}/credentials/OS-EC2"
_GROUPS = f"{_EG.PREFIX}/endpoint_groups"
_GROUP = f"{_GROUPS}/{{endpoint_group_id}}"
_CONFIG = "/v3/domains/{domain_id}/config"


def _crud(path: str, item: str, module: object, kind: str, plural: str) -> list[Route]:
    """GET/POST on the collection, GET/PATCH/DELETE on one member, by handler names."""
    one = f"{path}/{{{item}}}"
    return [
        Route("GET", path, getattr(module, f"list_{plural}")),
        Route("POST", path, getattr(module, f"create_{kind}")),
        Route("GET", one, getattr(module, f"show_{kind}")),
        Route("PATCH", one, getattr(module, f"update_{kind}")),
        Route("DELETE", one, getattr(module, f"delete_{kind}")),
    ]


EXTENSION_ROUTES: list[Route] = [
    *_crud("/v3/credentials", "credential_id", _C, "credential", "credentials"),
    Route("GET", _EC2_PATH, _EC2.list_ec2_credentials),
    Route("POST", _EC2_PATH, _EC2.create_ec2_credential),
    Route("GET", f"{_EC2_PATH}/{{credential_id}}", _EC2.show_ec2_credential),
    Route("DELETE", f"{_EC2_PATH}/{{credential_id}}", _EC2.delete_ec2_credential),
    *_crud("/v3/policies", "policy_id", _P, "policy", "policies"),
    Route("HEAD", _GROUP, _EG.check_endpoint_group),
    *_crud(_GROUPS, "endpoint_group_id", _EG, "endpoint_group", "endpoint_groups"),
    Route("GET", f"{_GROUP}/endpoints", _EG.list_group_endpoints),
    Route("GET", f"{_GROUP}/projects", _EG.list_group_projects),
    Route("GET", f"{_GROUP}/projects/{{project_id}}", _EG.show_association),
    Route("PUT", f"{_GROUP}/projects/{{project_id}}", _EG.add_association),
    Route("DELETE", f"{_GROUP}/projects/{{project_id}}", _EG.remove_association),
    Route("GET", f"{_EG.PREFIX}/projects/{{project_id}}/endpoint_groups", _EG.list_project_groups),
    # The defaults first: "config" is not a domain id.
    Route("GET", "/v3/domains/config/default", _DC.show_default),
    Route("GET", "/v3/domains/config/{group}/default", _DC.show_default),
    Route("GET", "/v3/domains/config/{group}/{option}/default", _DC.show_default),
    Route("PUT", _CONFIG, _DC.create_config),
    *[
        route
        for path in (_CONFIG, f"{_CONFIG}/{{group}}", f"{_CONFIG}/{{group}}/{{option}}")
        for route in (
            Route("GET", path, _DC.show_config),
            Route("PATCH", path, _DC.update_config),
            Route("DELETE", path, _DC.delete_config),
        )
    ],
    *_crud(_OC.PATH, "consumer_id", _OC, "consumer", "consumers"),
]
