"""A local copy of each connected CRM's services and staff.

Revision ID: 0003_crm_catalog
Revises: 0002_integrations
Create Date: 2026-11-23 02:16:51.629506
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0003_crm_catalog'
down_revision: str | None = '0002_integrations'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('crm_service',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('business_id', sa.Integer(), nullable=False),
    sa.Column('integration_id', sa.Integer(), nullable=False),
    sa.Column('external_id', sa.String(length=120), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('category', sa.String(length=200), nullable=False),
    sa.Column('price', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.Column('price_max', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.Column('duration_minutes', sa.Integer(), nullable=True),
    sa.Column('staff_ids', sa.JSON(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('synced_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['business_id'], ['business.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['integration_id'], ['integration.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('integration_id', 'external_id', name='uq_crm_service_external')
    )
    with op.batch_alter_table('crm_service', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_crm_service_business_id'), ['business_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_crm_service_integration_id'), ['integration_id'], unique=False)

    op.create_table('crm_staff',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('business_id', sa.Integer(), nullable=False),
    sa.Column('integration_id', sa.Integer(), nullable=False),
    sa.Column('external_id', sa.String(length=120), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('position', sa.String(length=200), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('synced_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['business_id'], ['business.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['integration_id'], ['integration.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('integration_id', 'external_id', name='uq_crm_staff_external')
    )
    with op.batch_alter_table('crm_staff', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_crm_staff_business_id'), ['business_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_crm_staff_integration_id'), ['integration_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('crm_staff', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_crm_staff_integration_id'))
        batch_op.drop_index(batch_op.f('ix_crm_staff_business_id'))

    op.drop_table('crm_staff')
    with op.batch_alter_table('crm_service', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_crm_service_integration_id'))
        batch_op.drop_index(batch_op.f('ix_crm_service_business_id'))

    op.drop_table('crm_service')
