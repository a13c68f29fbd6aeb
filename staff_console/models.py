"""The console's tables in the clinic database: staff users (with their role, and the
date an account was disabled), their sessions, failed logins, and the audit journal of
what staff do: changes to appointments and accounts, patients registered, transcripts
read and conversations exported.

They share :data:`clinic.models.Base` (one schema, one Alembic history: revisions
0003 and 0005). Datetimes are naive UTC like the rest of the database. Failed logins
hold keyed hashes of the name and address tried, never the values; sessions hold the
hash of their token, never the token; the audit names a conversation by a keyed hash
(:func:`staff_console.conversations.conversation_ref`), never its sender id.
"""
from __future__ import annotations

from sqlalchemy import CheckConstraint, Column, DateTime, ForeignKey, Index, Integer, String, Text

from clinic.models import Base, utc_now

FAILURE_USER = "user"
FAILURE_ADDRESS = "address"
ROLE_ADMIN = "admin"
ROLE_STAFF = "staff"
ROLES = (ROLE_ADMIN, ROLE_STAFF)
APPOINTMENT_ACTIONS = ("book", "move", "cancel")
ACCOUNT_ACTIONS = ("password", "disable", "enable", "end_sessions")
AUDIT_ACTIONS = APPOINTMENT_ACTIONS + ("read", "export", "register") + ACCOUNT_ACTIONS


def _one_of(column: str, values) -> str:
    return f"{column} IN (" + ", ".join(f"'{value}'" for value in values) + ")"


class StaffUser(Base):
    __tablename__ = "staff_users"
    __table_args__ = (CheckConstraint(_one_of("role", ROLES), name="ck_staff_users_role"),)

    id = Column(Integer, primary_key=True)
    name = Column(String(64), nullable=False, unique=True)
    password_hash = Column(String(255), nullable=False)
    created_at = Column(DateTime, nullable=False, default=utc_now)
    role = Column(String(16), nullable=False, default=ROLE_STAFF, server_default=ROLE_STAFF)
    disabled_at = Column(DateTime, nullable=True)  # a disabled account cannot log in


class StaffSession(Base):
    __tablename__ = "staff_sessions"
    __table_args__ = (Index("ix_staff_sessions_expires_at", "expires_at"),)

    id = Column(Integer, primary_key=True)
    token_hash = Column(String(64), nullable=False, unique=True)
    user_id = Column(Integer, ForeignKey("staff_users.id", ondelete="CASCADE"), nullable=False)
    csrf_token = Column(String(64), nullable=False)
    created_at = Column(DateTime, nullable=False, default=utc_now)
    expires_at = Column(DateTime, nullable=False)


class StaffLoginFailure(Base):
    __tablename__ = "staff_login_failures"
    __table_args__ = (
        CheckConstraint(
            f"subject_kind IN ('{FAILURE_USER}', '{FAILURE_ADDRESS}')",
            name="ck_staff_login_failures_subject_kind",
        ),
        Index("ix_staff_login_failures_subject", "subject_kind", "subject_key", "failed_at"),
    )

    id = Column(Integer, primary_key=True)
    subject_kind = Column(String(16), nullable=False)
    subject_key = Column(String(64), nullable=False)
    failed_at = Column(DateTime, nullable=False)


class StaffAudit(Base):
    """One thing a staff member did: who, when, what (details as JSON: an appointment
    before and after, an account, an export's conversations…)."""

    __tablename__ = "staff_audit"
    __table_args__ = (
        CheckConstraint(_one_of("action", AUDIT_ACTIONS), name="ck_staff_audit_action"),
        Index("ix_staff_audit_at", "at"),
    )

    id = Column(Integer, primary_key=True)
    at = Column(DateTime, nullable=False, default=utc_now)
    staff_user_id = Column(Integer, ForeignKey("staff_users.id"), nullable=False)
    staff_name = Column(String(64), nullable=False)
    action = Column(String(16), nullable=False)
    appointment_id = Column(Integer, ForeignKey("appointments.id"), nullable=True)
    clinic_patient_id = Column(String(32), nullable=True)
    conversation = Column(String(64), nullable=True)  # conversation_ref, never a sender id
    details = Column(Text, nullable=False)
