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
    tasks,
    versions,
)
from nimbostack.image.api.metadefs import namespaces, objects, properties, resource_types
from nimbostack.image.api.metadefs import schemas as metadef_schemas
from nimbostack.image.api.metadefs import tags as metadef_tags

IMAGE = "/v2/images/{image_id}"
NS = "/v2/metadefs/namespaces/{namespace}"

ROUTES: list[Route] = [
    Route("GET", "/", versions.list_versions, public=True),
    Route("GET", "/versions", versions.show_versions, public=True),
    Route("GET", "/v2", versions.list_versions, public=True),
    Route("GET", "/v2/", versions.list_versions, public=True),
    Route("GET", "/v2/images", images.list_images),
    Route("POST", "/v2/images", images.create_image),
    # An empty image id ("/v2/images/") names no image: 404, not the list.
    Route("GET", "/v2/images/", images.no_image),
    Route("DELETE", "/v2/images/", images.no_image),
    Route("GET", IMAGE, images.show_image),
    Route("PATCH", IMAGE, patch.update_image),
    Route("DELETE", IMAGE, images.delete_image),
    Route("POST", f"{IMAGE}/actions/deactivate", images.deactivate_image),
    Route("POST", f"{IMAGE}/actions/reactivate", images.reactivate_image),
    Route("PUT", f"{IMAGE}/file", data.upload_image_data),
    Route("GET", f"{IMAGE}/file", data.download_image_data),
    Route("PUT", f"{IMAGE}/stage", data.stage_image_data),
    Route("POST", f"{IMAGE}/import", imports.import_image),
    Route("GET", f"{IMAGE}/tasks", tasks.list_image_tasks),
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
    *[  # metadata definitions
        Route("GET", "/v2/schemas/metadefs/{name}", metadef_schemas.show_metadef_schema),
        Route("GET", "/v2/metadefs/resource_types", resource_types.list_resource_types),
        Route("GET", "/v2/metadefs/namespaces", namespaces.list_namespaces),
        Route("POST", "/v2/metadefs/namespaces", namespaces.create_namespace),
        Route("GET", NS, namespaces.show_namespace),
        Route("PUT", NS, namespaces.update_namespace),
        Route("DELETE", NS, namespaces.delete_namespace),
        Route("GET", f"{NS}/resource_types", resource_types.list_associations),
        Route("POST", f"{NS}/resource_types", resource_types.create_association),
        Route(
            "DELETE", f"{NS}/resource_types/{{resource_type}}", resource_types.delete_association
        ),
        Route("GET", f"{NS}/objects", objects.list_objects),
        Route("POST", f"{NS}/objects", objects.create_object),
        Route("DELETE", f"{NS}/objects", objects.delete_objects),
        Route("GET", f"{NS}/objects/{{name}}", objects.show_object),
        Route("PUT", f"{NS}/objects/{{name}}", objects.update_object),
        Route("DELETE", f"{NS}/objects/{{name}}", objects.delete_object),
        Route("GET", f"{NS}/properties", properties.list_properties),
        Route("POST", f"{NS}/properties", properties.create_property),
        Route("DELETE", f"{NS}/properties", properties.delete_properties),
        Route("GET", f"{NS}/properties/{{name}}", properties.show_property),
        Route("PUT", f"{NS}/properties/{{name}}", properties.update_property),
        Route("DELETE", f"{NS}/properties/{{name}}", properties.delete_property),
        Route("GET", f"{NS}/tags", metadef_tags.list_tags),
        Route("POST", f"{NS}/tags", metadef_tags.create_tags),
        Route("DELETE", f"{NS}/tags", metadef_tags.delete_tags),
        Route("GET", f"{NS}/tags/{{name}}", metadef_tags.show_tag),
        Route("POST", f"{NS}/tags/{{name}}", metadef_tags.create_tag),
        Route("PUT", f"{NS}/tags/{{name}}", metadef_tags.update_tag),
        Route("DELETE", f"{NS}/tags/{{name}}", metadef_tags.delete_tag),
    ],
]
