"""Failed identity checks, counted per patient ID and per caller (hashed keys only).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-05
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "identity_failures",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("subject_kind", sa.String(16), nullable=False),
        sa.Column("subject_key", sa.String(64), nullable=False),
        sa.Column("failed_at", sa.DateTime, nullable=False),
        sa.CheckConstraint(
            "subject_kind IN ('patient', 'caller')", name="ck_identity_failures_subject_kind"
        ),
    )
    op.create_index(
        "ix_identity_failures_subject",
        "identity_failures",
        ["subject_kind", "subject_key", "failed_at"],
    )
    op.create_index("ix_identity_failures_failed_at", "identity_failures", ["failed_at"])


def downgrade() -> None:
    op.drop_table("identity_failures")
