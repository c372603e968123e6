"""Telephony: phone numbers synced from the providers, members' telephony profiles, and the enabled/default
flags of a provider connection.

Revision ID: 0008_telephony
Revises: 0007_api_keys
Create Date: 2026-11-23 04:35:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_telephony"
down_revision: str | None = "0007_api_keys"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "phone_number",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("business_id", sa.Integer(), nullable=False),
        sa.Column("integration_id", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(length=40), nullable=False),
        sa.Column("provider_ref", sa.String(length=120), nullable=False),
        sa.Column("e164", sa.String(length=20), nullable=False),
        sa.Column("friendly_name", sa.String(length=200), nullable=False),
        sa.Column("number_type", sa.String(length=20), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("voice", sa.Boolean(), nullable=False),
        sa.Column("sms", sa.Boolean(), nullable=False),
        sa.Column("provider_status", sa.String(length=40), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("routed_here", sa.Boolean(), nullable=False),
        sa.Column("route_user_id", sa.Integer(), nullable=True),
        sa.Column("forward_to", sa.String(length=20), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("synced_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("route_user_id IS NULL OR forward_to = ''", name="ck_phone_number_one_route"),
        sa.ForeignKeyConstraint(["business_id"], ["business.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["integration_id"], ["integration.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["route_user_id"], ["app_user.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("integration_id", "provider_ref", name="uq_phone_number_provider_ref"),
    )
    with op.batch_alter_table("phone_number", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_phone_number_business_id"), ["business_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_phone_number_e164"), ["e164"], unique=False)
        batch_op.create_index(batch_op.f("ix_phone_number_integration_id"), ["integration_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_phone_number_route_user_id"), ["route_user_id"], unique=False)

    op.create_table(
        "telephony_profile",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("business_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("primary_number_id", sa.Integer(), nullable=True),
        sa.Column("forwarding_number", sa.String(length=20), nullable=False),
        sa.Column("receive_in_browser", sa.Boolean(), nullable=False),
        sa.Column("forward_when_offline", sa.Boolean(), nullable=False),
        sa.Column("voicemail_enabled", sa.Boolean(), nullable=False),
        sa.Column("presence", sa.String(length=16), nullable=False),
        sa.Column("presence_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["business_id"], ["business.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["primary_number_id"], ["phone_number.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id", name="uq_telephony_profile_user"),
    )
    with op.batch_alter_table("telephony_profile", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_telephony_profile_business_id"), ["business_id"], unique=False)

    with op.batch_alter_table("integration", schema=None) as batch_op:
        batch_op.add_column(sa.Column("enabled", sa.Boolean(), nullable=False, server_default=sa.true()))
        batch_op.add_column(sa.Column("is_default", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.create_index(
            "uq_integration_default",
            ["business_id"],
            unique=True,
            sqlite_where=sa.text("is_default"),
            postgresql_where=sa.text("is_default"),
        )


def downgrade() -> None:
    with op.batch_alter_table("integration", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_integration_default", sqlite_where=sa.text("is_default"), postgresql_where=sa.text("is_default")
        )
        batch_op.drop_column("is_default")
        batch_op.drop_column("enabled")

    with op.batch_alter_table("telephony_profile", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_telephony_profile_business_id"))

    op.drop_table("telephony_profile")
    with op.batch_alter_table("phone_number", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_phone_number_route_user_id"))
        batch_op.drop_index(batch_op.f("ix_phone_number_integration_id"))
        batch_op.drop_index(batch_op.f("ix_phone_number_e164"))
        batch_op.drop_index(batch_op.f("ix_phone_number_business_id"))

    op.drop_table("phone_number")
