"""Image tasks and metadata definitions

Revision ID: 0002
Revises: 0001
"""

import time

import sqlalchemy as sa
from alembic import op

# The resource types Glance ships definitions for; others appear when first associated.
RESOURCE_TYPES = [
    "OS::Glance::Image",
    "OS::Cinder::Volume",
    "OS::Nova::Flavor",
    "OS::Nova::Aggregate",
    "OS::Nova::Server",
]

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "image_tasks",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("image_id", sa.String(length=64), nullable=False),
        sa.Column("type", sa.String(length=30), nullable=False),
        sa.Column("status", sa.String(length=30), nullable=False),
        sa.Column("owner", sa.String(length=64), nullable=True),
        sa.Column("user_id", sa.String(length=64), nullable=True),
        sa.Column("request_id", sa.String(length=64), nullable=True),
        sa.Column("input", sa.JSON(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("message", sa.String(length=2048), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("image_tasks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_image_tasks_image_id"), ["image_id"], unique=False)

    op.create_table(
        "metadef_namespaces",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("namespace", sa.String(length=80), nullable=False),
        sa.Column("display_name", sa.String(length=80), nullable=True),
        sa.Column("description", sa.String(length=500), nullable=True),
        sa.Column("visibility", sa.String(length=20), nullable=False),
        sa.Column("protected", sa.Boolean(), nullable=False),
        sa.Column("owner", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("namespace"),
    )
    with op.batch_alter_table("metadef_namespaces", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_metadef_namespaces_owner"), ["owner"], unique=False)

    op.create_table(
        "metadef_resource_types",
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("protected", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "metadef_namespace_resource_types",
        sa.Column("namespace_id", sa.String(length=64), nullable=False),
        sa.Column("resource_type", sa.String(length=80), nullable=False),
        sa.Column("prefix", sa.String(length=80), nullable=True),
        sa.Column("properties_target", sa.String(length=80), nullable=True),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["namespace_id"], ["metadef_namespaces.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["resource_type"],
            ["metadef_resource_types.name"],
        ),
        sa.PrimaryKeyConstraint("namespace_id", "resource_type"),
    )
    op.create_table(
        "metadef_objects",
        sa.Column("namespace_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["namespace_id"], ["metadef_namespaces.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("namespace_id", "name"),
    )
    op.create_table(
        "metadef_properties",
        sa.Column("namespace_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["namespace_id"], ["metadef_namespaces.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("namespace_id", "name"),
    )
    op.create_table(
        "metadef_tags",
        sa.Column("namespace_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["namespace_id"], ["metadef_namespaces.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("namespace_id", "name"),
    )
    resource_types = sa.table(
        "metadef_resource_types",
        sa.column("name", sa.String),
        sa.column("protected", sa.Boolean),
        sa.column("created_at", sa.Float),
        sa.column("updated_at", sa.Float),
    )
    now = time.time()
    op.bulk_insert(
        resource_types,
        [
            {"name": name, "protected": True, "created_at": now, "updated_at": now}
            for name in RESOURCE_TYPES
        ],
    )
