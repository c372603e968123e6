"""The business's working hours, as people write them (used by the {{working_hours}} prompt variable).

Revision ID: 0006_working_hours
Revises: 0005_llm_config
Create Date: 2026-11-23 03:25:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_working_hours"
down_revision: str | None = "0005_llm_config"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("business", schema=None) as batch_op:
        batch_op.add_column(sa.Column("working_hours", sa.String(length=300), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("business", schema=None) as batch_op:
        batch_op.drop_column("working_hours")
