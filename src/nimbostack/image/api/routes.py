"""The image service's whole route table (Glance v2)."""

from __future__ import annotations

from nimbostack.core.api.app import Route
from nimbostack.image.api import (
    data,
    images,
    imports,
    members,
    patch,
    schemas,
    tags,
    versions,
)

IMAGE = "/v2/images/{image_id}"

ROUTES: list[Route] = [
    Route("GET", "/", versions.list_versions, public=True),
    Route("GET", "/versions", versions.show_versions, public=True),
    Route("GET", "/v2", versions.list_versions, public=True),
    Route("GET", "/v2/", versions.list_versions, public=True),
    Route("GET", "/v2/images", images.list_images),
    Route("POST", "/v2/images", images.create_image),
    Route("GET", IMAGE, images.show_image),
    Route("PATCH", IMAGE, patch.update_image),
    Route("DELETE", IMAGE, images.delete_image),
    Route("POST", f"{IMAGE}/actions/deactivate", images.deactivate_image),
    Route("POST", f"{IMAGE}/actions/reactivate", images.reactivate_image),
    Route("PUT", f"{IMAGE}/file", data.upload_image_data),
    Route("GET", f"{IMAGE}/file", data.download_image_data),
    Route("PUT", f"{IMAGE}/stage", data.stage_image_data),
    Route("POST", f"{IMAGE}/import", imports.import_image),
    Route("PUT", f"{IMAGE}/tags/{{tag}}", tags.add_tag),
    Route("DELETE", f"{IMAGE}/tags/{{tag}}", tags.delete_tag),
    Route("GET", f"{IMAGE}/members", members.list_members),
    Route("POST", f"{IMAGE}/members", members.create_member),
    Route("GET", f"{IMAGE}/members/{{member_id}}", members.show_member),
    Route("PUT", f"{IMAGE}/members/{{member_id}}", members.update_member),
    Route("DELETE", f"{IMAGE}/members/{{member_id}}", members.delete_member),
    Route("GET", "/v2/info/import", imports.import_info),
    Route("GET", "/v2/info/stores", imports.stores_info),
    Route("GET", "/v2/schemas/image", schemas.show_image_schema),
    Route("GET", "/v2/schemas/images", schemas.show_images_schema),
    Route("GET", "/v2/schemas/member", schemas.show_member_schema),
    Route("GET", "/v2/schemas/members", schemas.show_members_schema),
]
