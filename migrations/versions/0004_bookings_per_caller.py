"""Who booked: a keyed hash of the caller (web address or phone number), to cap the
bookings one caller makes per day (clinic.yml ``security.max_bookings_per_caller_per_day``).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("appointments") as batch:
        batch.add_column(sa.Column("booked_by", sa.String(64), nullable=True))
    op.create_index("ix_appointments_booked_by", "appointments", ["booked_by", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_appointments_booked_by", table_name="appointments")
    with op.batch_alter_table("appointments") as batch:
        batch.drop_column("booked_by")
