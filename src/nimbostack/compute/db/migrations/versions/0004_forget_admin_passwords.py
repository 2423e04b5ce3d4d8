"""Forget the admin passwords earlier versions kept in system_metadata

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_INSTANCES = sa.table(
    "instances", sa.column("uuid", sa.String(36)), sa.column("system_metadata", sa.JSON)
)


def upgrade() -> None:
    bind = op.get_bind()
    rows = bind.execute(sa.select(_INSTANCES.c.uuid, _INSTANCES.c.system_metadata)).all()
    for uuid, meta in rows:
        if isinstance(meta, dict) and "admin_pass" in meta:
            kept = {k: v for k, v in meta.items() if k != "admin_pass"}
            bind.execute(
                _INSTANCES.update().where(_INSTANCES.c.uuid == uuid).values(system_metadata=kept)
            )


def downgrade() -> None:
    pass  # what was forgotten stays forgotten
