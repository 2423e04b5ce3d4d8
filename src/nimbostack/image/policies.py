"""Image policy defaults, one rule per API operation (Glance's rule names).

Visibility (who may see an image at all) is decided in code, because it depends on
the image's members; these rules decide what a caller who can see it may do.
"""

from __future__ import annotations

from nimbostack.core.auth.policy import RuleDefault, base_rules

ADMIN = "role:admin"
READER = "role:admin or role:reader"
OWNER_MEMBER = "role:admin or (role:member and project_id:%(owner)s)"
IMAGE_MEMBER = "role:admin or (role:member and project_id:%(member_id)s)"


def rules() -> list[RuleDefault]:
    """Every image rule; operators override them in <policy_dir>/image.yaml."""
    return [
        *base_rules(),
        RuleDefault("get_images", READER, "List images"),
        RuleDefault("get_image", READER, "Show an image"),
        RuleDefault("add_image", OWNER_MEMBER, "Create an image"),
        RuleDefault("modify_image", OWNER_MEMBER, "Update an image"),
        RuleDefault("delete_image", OWNER_MEMBER, "Delete an image"),
        RuleDefault("publicize_image", ADMIN, "Make an image public"),
        RuleDefault("communitize_image", OWNER_MEMBER, "Make an image community"),
        RuleDefault("upload_image", OWNER_MEMBER, "Upload or stage image data"),
        RuleDefault("download_image", READER, "Download image data"),
        RuleDefault("deactivate", OWNER_MEMBER, "Deactivate an image"),
        RuleDefault("reactivate", OWNER_MEMBER, "Reactivate an image"),
        RuleDefault("add_member", OWNER_MEMBER, "Share an image with a project"),
        RuleDefault("delete_member", OWNER_MEMBER, "Stop sharing an image with a project"),
        RuleDefault("get_member", READER, "Show an image member"),
        RuleDefault("get_members", READER, "List image members"),
        RuleDefault("modify_member", IMAGE_MEMBER, "Accept or reject a shared image"),
        *metadef_rules(),
    ]


# Metadata definitions are a catalog the operator curates: anyone may read what is
# visible to them (visibility is decided in code), only an admin may change it.
_METADEF_READS = (
    "get_metadef_namespace", "get_metadef_namespaces", "get_metadef_object",
    "get_metadef_objects", "get_metadef_property", "get_metadef_properties",
    "get_metadef_tag", "get_metadef_tags", "get_metadef_resource_type",
    "list_metadef_resource_types",
)  # fmt: skip
_METADEF_WRITES = (
    "add_metadef_namespace", "modify_metadef_namespace", "delete_metadef_namespace",
    "add_metadef_object", "modify_metadef_object", "delete_metadef_object",
    "add_metadef_property", "modify_metadef_property", "remove_metadef_property",
    "add_metadef_tag", "add_metadef_tags", "modify_metadef_tag", "delete_metadef_tag",
    "delete_metadef_tags", "add_metadef_resource_type_association",
    "remove_metadef_resource_type_association",
)  # fmt: skip


def metadef_rules() -> list[RuleDefault]:
    reads = [RuleDefault(name, READER, name.replace("_", " ")) for name in _METADEF_READS]
    writes = [RuleDefault(name, ADMIN, name.replace("_", " ")) for name in _METADEF_WRITES]
    return reads + writes
