"""Staff accounts and a wider audit: a role (admin or staff) and a disabled date per
account; the audit also records who read a transcript, exported conversations,
registered a patient or changed an account (such rows name no appointment).

The oldest account of an existing console becomes its administrator.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

OLD_ACTIONS = ("book", "move", "cancel")
NEW_ACTIONS = OLD_ACTIONS + ("read", "export", "register", "password", "disable", "enable",
                             "end_sessions")


def _actions_check(actions) -> str:
    return "action IN (" + ", ".join(f"'{action}'" for action in actions) + ")"


def upgrade() -> None:
    # Plain ADD COLUMN, SQLite included: a batch would drop and copy staff_users, which
    # the sessions (ON DELETE CASCADE) and the audit rows point to.
    op.add_column("staff_users", sa.Column(
        "role", sa.String(16),
        sa.CheckConstraint("role IN ('admin', 'staff')", name="ck_staff_users_role"),
        nullable=False, server_default="staff"))
    op.add_column("staff_users", sa.Column("disabled_at", sa.DateTime, nullable=True))
    op.execute("UPDATE staff_users SET role = 'admin' "
               "WHERE id = (SELECT MIN(id) FROM staff_users)")
    with op.batch_alter_table("staff_audit") as batch:
        batch.drop_constraint("ck_staff_audit_action", type_="check")
        batch.create_check_constraint("ck_staff_audit_action", _actions_check(NEW_ACTIONS))
        batch.alter_column("appointment_id", existing_type=sa.Integer, nullable=True)
        batch.alter_column("clinic_patient_id", existing_type=sa.String(32), nullable=True)
        batch.add_column(sa.Column("conversation", sa.String(64), nullable=True))


def downgrade() -> None:
    op.execute("DELETE FROM staff_audit WHERE NOT (" + _actions_check(OLD_ACTIONS) + ")")
    with op.batch_alter_table("staff_audit") as batch:
        batch.drop_column("conversation")
        batch.alter_column("clinic_patient_id", existing_type=sa.String(32), nullable=False)
        batch.alter_column("appointment_id", existing_type=sa.Integer, nullable=False)
        batch.drop_constraint("ck_staff_audit_action", type_="check")
        batch.create_check_constraint("ck_staff_audit_action", _actions_check(OLD_ACTIONS))
    op.drop_column("staff_users", "disabled_at")
    op.drop_column("staff_users", "role")  # its CHECK constraint goes with it
