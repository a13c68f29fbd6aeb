"""The console's tables in the clinic database: staff users, their sessions, failed
logins and the audit of every change staff make to appointments.

They share :data:`actions.models.Base` (one schema, one Alembic history: revision
0003). Datetimes are naive UTC like the rest of the database. Failed logins hold keyed
hashes of the name and address tried, never the values; sessions hold the hash of
their token, never the token.
"""
from __future__ import annotations

from sqlalchemy import CheckConstraint, Column, DateTime, ForeignKey, Index, Integer, String, Text

from actions.models import Base, utc_now

FAILURE_USER = "user"
FAILURE_ADDRESS = "address"
AUDIT_ACTIONS = ("book", "move", "cancel")


class StaffUser(Base):
    __tablename__ = "staff_users"

    id = Column(Integer, primary_key=True)
    name = Column(String(64), nullable=False, unique=True)
    password_hash = Column(String(255), nullable=False)
    created_at = Column(DateTime, nullable=False, default=utc_now)


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
    """One change made by a staff member: who, when, what (before and after, as JSON)."""

    __tablename__ = "staff_audit"
    __table_args__ = (
        CheckConstraint("action IN ('book', 'move', 'cancel')", name="ck_staff_audit_action"),
        Index("ix_staff_audit_at", "at"),
    )

    id = Column(Integer, primary_key=True)
    at = Column(DateTime, nullable=False, default=utc_now)
    staff_user_id = Column(Integer, ForeignKey("staff_users.id"), nullable=False)
    staff_name = Column(String(64), nullable=False)
    action = Column(String(16), nullable=False)
    appointment_id = Column(Integer, ForeignKey("appointments.id"), nullable=False)
    clinic_patient_id = Column(String(32), nullable=False)
    details = Column(Text, nullable=False)
