"""Initial

Revision ID: 0001
Revises: None
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "images",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=True),
        sa.Column("owner", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=30), nullable=False),
        sa.Column("visibility", sa.String(length=20), nullable=False),
        sa.Column("protected", sa.Boolean(), nullable=False),
        sa.Column("os_hidden", sa.Boolean(), nullable=False),
        sa.Column("disk_format", sa.String(length=20), nullable=True),
        sa.Column("container_format", sa.String(length=20), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=True),
        sa.Column("virtual_size", sa.BigInteger(), nullable=True),
        sa.Column("checksum", sa.String(length=32), nullable=True),
        sa.Column("os_hash_algo", sa.String(length=64), nullable=True),
        sa.Column("os_hash_value", sa.String(length=128), nullable=True),
        sa.Column("min_disk", sa.Integer(), nullable=False),
        sa.Column("min_ram", sa.Integer(), nullable=False),
        sa.Column("location", sa.String(length=2048), nullable=True),
        sa.Column("properties", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("images", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_images_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_images_name"), ["name"], unique=False)
        batch_op.create_index(batch_op.f("ix_images_owner"), ["owner"], unique=False)
        batch_op.create_index(batch_op.f("ix_images_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_images_visibility"), ["visibility"], unique=False)

    op.create_table(
        "image_members",
        sa.Column("image_id", sa.String(length=64), nullable=False),
        sa.Column("member_id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["image_id"], ["images.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("image_id", "member_id"),
    )
    with op.batch_alter_table("image_members", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_image_members_member_id"), ["member_id"], unique=False)

    op.create_table(
        "image_tags",
        sa.Column("image_id", sa.String(length=64), nullable=False),
        sa.Column("value", sa.String(length=255), nullable=False),
        sa.ForeignKeyConstraint(["image_id"], ["images.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("image_id", "value"),
    )
    with op.batch_alter_table("image_tags", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_image_tags_value"), ["value"], unique=False)
