"""Block device mappings: the boot index of a server's volumes

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("block_device_mappings", sa.Column("boot_index", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("block_device_mappings") as batch:
        batch.drop_column("boot_index")
