"""Each business's OpenAI-compatible model for the prompt editor's test chat (key encrypted).

Revision ID: 0005_llm_config
Revises: 0004_prompts
Create Date: 2026-11-23 03:12:43.861261
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0005_llm_config'
down_revision: str | None = '0004_prompts'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('llm_config',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('business_id', sa.Integer(), nullable=False),
    sa.Column('base_url', sa.String(length=300), nullable=False),
    sa.Column('api_key', sa.Text(), nullable=True),
    sa.Column('model', sa.String(length=120), nullable=False),
    sa.Column('temperature', sa.Float(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['business_id'], ['business.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('llm_config', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_llm_config_business_id'), ['business_id'], unique=True)



def downgrade() -> None:
    with op.batch_alter_table('llm_config', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_llm_config_business_id'))

    op.drop_table('llm_config')
