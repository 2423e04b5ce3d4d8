"""The dashboard's whole route table, and the ASGI app around it.

Each route names a page handler (``views/<panel>.py``) wrapped by ``web.view``, which
loads the session and checks CSRF; ``login=False`` marks the few pages reachable
before logging in. Static files (our CSS and JS, versioned by content) are served
from ``static/``.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from nimbostack.dashboard import stream
from nimbostack.dashboard.render import STATIC
from nimbostack.dashboard.security import SecurityHeaders
from nimbostack.dashboard.state import DashboardState
from nimbostack.dashboard.views import (
    admin_compute,
    admin_identity,
    auth,
    downloads,
    floating_ips,
    images,
    instance_detail,
    instances,
    keypairs,
    launch,
    networks,
    overview,
    routers,
    security_groups,
    topology,
    volumes,
)
from nimbostack.dashboard.web import Handler, view

INSTANCE = "/project/instances/{server_id}"
IMAGE = "/project/images/{image_id}"
NETWORK = "/project/networks/{network_id}"
ROUTER = "/project/routers/{router_id}"
FIP = "/project/floating-ips/{fip_id}"
SG = "/project/security-groups/{group_id}"
VOLUME = "/project/volumes/{volume_id}"


def _get(path: str, handler: Handler, **kw: bool) -> Route:
    return Route(path, view(handler, **kw), methods=["GET"])


def _post(path: str, handler: Handler, **kw: bool) -> Route:
    return Route(path, view(handler, **kw), methods=["POST"])


ROUTES: list[BaseRoute] = [
    _get("/", auth.root, login=False),
    _get("/auth/login", auth.login_form, login=False),
    _post("/auth/login", auth.login, login=False),
    _post("/auth/logout", auth.logout),
    _post("/auth/project", auth.switch_project),
    _get("/auth/projects", auth.projects_menu),
    _post("/auth/language", auth.set_language, login=False),
    _get("/project/clouds.yaml", downloads.download_clouds_yaml),
    _get("/project/openrc", downloads.download_openrc),
    _get("/project/overview", overview.overview),
    _get("/project/events", stream.events),
    # instances
    _get("/project/instances", instances.list_instances),
    _get("/project/launch", launch.launch_form),
    _post("/project/launch", launch.launch),
    _get(INSTANCE, instance_detail.show_instance),
    _get(f"{INSTANCE}/log", instance_detail.console_log),
    _get(f"{INSTANCE}/console", instance_detail.console),
    _post(f"{INSTANCE}/action/{{action}}", instances.server_action),
    _post(f"{INSTANCE}/delete", instances.delete_instance),
    # images
    _get("/project/images", images.list_images),
    _get("/project/images/new", images.create_form),
    _post("/project/images", images.create_image),
    _get(IMAGE, images.show_image),
    _get(f"{IMAGE}/status", images.image_status),
    _post(f"{IMAGE}/data", images.upload_data, raw_body=True),
    _post(f"{IMAGE}/update", images.update_image),
    _post(f"{IMAGE}/members", images.add_member),
    _post(f"{IMAGE}/members/{{member_id}}/delete", images.remove_member),
    _post(f"{IMAGE}/member-status", images.member_status),
    _post(f"{IMAGE}/delete", images.delete_image),
    # key pairs
    _get("/project/keypairs", keypairs.list_keypairs),
    _post("/project/keypairs", keypairs.create_keypair),
    _post("/project/keypairs/{name}/delete", keypairs.delete_keypair),
    # networks, routers, floating IPs, security groups, topology
    _get("/project/networks", networks.list_networks),
    _post("/project/networks", networks.create_network),
    _get(NETWORK, networks.show_network),
    _post(f"{NETWORK}/subnets", networks.create_subnet),
    _post(f"{NETWORK}/delete", networks.delete_network),
    _post("/project/subnets/{subnet_id}/delete", networks.delete_subnet),
    _get("/project/routers", routers.list_routers),
    _post("/project/routers", routers.create_router),
    _get(ROUTER, routers.show_router),
    _post(f"{ROUTER}/interfaces", routers.add_interface),
    _post(f"{ROUTER}/interfaces/{{subnet_id}}/delete", routers.remove_interface),
    _post(f"{ROUTER}/delete", routers.delete_router),
    _get("/project/floating-ips", floating_ips.list_floating_ips),
    _post("/project/floating-ips", floating_ips.allocate),
    _post(f"{FIP}/associate", floating_ips.associate),
    _post(f"{FIP}/disassociate", floating_ips.disassociate),
    _post(f"{FIP}/delete", floating_ips.release),
    _get("/project/security-groups", security_groups.list_groups),
    _post("/project/security-groups", security_groups.create_group),
    _get(SG, security_groups.show_group),
    _post(f"{SG}/rules", security_groups.add_rule),
    _post(f"{SG}/rules/{{rule_id}}/delete", security_groups.delete_rule),
    _post(f"{SG}/delete", security_groups.delete_group),
    _get("/project/topology", topology.show_topology),
    # volumes and snapshots
    _get("/project/volumes", volumes.list_volumes),
    _post("/project/volumes", volumes.create_volume),
    _post(f"{VOLUME}/attach", volumes.attach),
    _post(f"{VOLUME}/detach", volumes.detach),
    _post(f"{VOLUME}/snapshots", volumes.create_snapshot),
    _post(f"{VOLUME}/delete", volumes.delete_volume),
    _post("/project/snapshots/{snapshot_id}/delete", volumes.delete_snapshot),
    # admin: compute and placement
    _get("/admin/instances", instances.list_all_instances),
    _get("/admin/hypervisors", admin_compute.hypervisors),
    _get("/admin/services", admin_compute.services),
    _post("/admin/services/{service_id}", admin_compute.update_service),
    _get("/admin/aggregates", admin_compute.aggregates),
    _post("/admin/aggregates", admin_compute.create_aggregate),
    _post("/admin/aggregates/{aggregate_id}/hosts", admin_compute.aggregate_host),
    _post("/admin/aggregates/{aggregate_id}/delete", admin_compute.delete_aggregate),
    _get("/admin/flavors", admin_compute.flavors),
    _post("/admin/flavors", admin_compute.create_flavor),
    _post("/admin/flavors/{flavor_id}/delete", admin_compute.delete_flavor),
    _get("/admin/quotas", admin_compute.quotas),
    _post("/admin/quotas/{project_id}", admin_compute.update_quotas),
    _get("/admin/placement", admin_compute.placement),
    # admin: identity
    _get("/identity/projects", admin_identity.projects),
    _post("/identity/projects", admin_identity.create_project),
    _post("/identity/projects/{project_id}/delete", admin_identity.delete_project),
    _post("/identity/projects/{project_id}/grant", admin_identity.grant_role),
    _post("/identity/projects/{project_id}/revoke", admin_identity.revoke_role),
    _get("/identity/users", admin_identity.users),
    _post("/identity/users", admin_identity.create_user),
    _post("/identity/users/{user_id}/enabled", admin_identity.set_user_enabled),
    _post("/identity/users/{user_id}/delete", admin_identity.delete_user),
    _get("/identity/groups", admin_identity.groups),
    _post("/identity/groups", admin_identity.create_group),
    _post("/identity/groups/{group_id}/members", admin_identity.group_member),
    _post("/identity/groups/{group_id}/delete", admin_identity.delete_group),
    _get("/identity/roles", admin_identity.roles),
    _post("/identity/roles", admin_identity.create_role),
    _post("/identity/roles/{role_id}/delete", admin_identity.delete_role),
    Mount("/static", StaticFiles(directory=STATIC), name="static"),
]


def build_app(state: DashboardState) -> Starlette:
    """The ASGI app: the routes, compressed answers and the security headers."""
    middleware = [Middleware(SecurityHeaders), Middleware(GZipMiddleware, minimum_size=800)]
    app = Starlette(routes=ROUTES, middleware=middleware)
    app.state.dashboard = state
    return app
