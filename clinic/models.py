"""ORM models of the clinic database: patients, their appointments, and failed
identity checks.

Datetimes are stored as naive UTC (SQLite has no time zones); the clinic
operations convert at the boundary. The schema changes only through Alembic
(``migrations/``); nothing here creates tables.
"""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import (
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    text,
)
from sqlalchemy.orm import declarative_base, relationship

Base = declarative_base()

STATUS_BOOKED = "booked"
STATUS_CANCELLED = "cancelled"
SUBJECT_PATIENT = "patient"
SUBJECT_CALLER = "caller"
_ACTIVE = text(f"status = '{STATUS_BOOKED}'")


def utc_now() -> datetime:
    """Current time as the naive UTC value the database stores."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def to_db(moment: datetime) -> datetime:
    """An aware datetime as the naive UTC value the database stores."""
    return moment.astimezone(timezone.utc).replace(tzinfo=None)


def from_db(value: datetime) -> datetime:
    """A stored naive UTC value as an aware datetime (UTC)."""
    return value.replace(tzinfo=timezone.utc)


class Patient(Base):
    __tablename__ = "patients"

    id = Column(Integer, primary_key=True)
    clinic_patient_id = Column(String(32), nullable=False, unique=True)
    first_name = Column(String(100), nullable=False)
    last_name = Column(String(100), nullable=False)
    phone_e164 = Column(String(20), nullable=False)
    created_at = Column(DateTime, nullable=False, default=utc_now)
    updated_at = Column(DateTime, nullable=False, default=utc_now, onupdate=utc_now)

    appointments = relationship("Appointment", back_populates="patient")


class Appointment(Base):
    __tablename__ = "appointments"
    __table_args__ = (
        CheckConstraint(
            f"status IN ('{STATUS_BOOKED}', '{STATUS_CANCELLED}')",
            name="ck_appointments_status",
        ),
        CheckConstraint("end_at > start_at", name="ck_appointments_end_after_start"),
        # A doctor's slot can hold one active appointment: enforced by the database,
        # so that two concurrent bookings cannot both succeed.
        Index(
            "uq_appointments_doctor_slot_active",
            "doctor_id",
            "start_at",
            unique=True,
            sqlite_where=_ACTIVE,
            postgresql_where=_ACTIVE,
        ),
        # A patient cannot be in two places at once either.
        Index(
            "uq_appointments_patient_slot_active",
            "patient_id",
            "start_at",
            unique=True,
            sqlite_where=_ACTIVE,
            postgresql_where=_ACTIVE,
        ),
        Index("ix_appointments_doctor_start", "doctor_id", "start_at"),
        Index("ix_appointments_booked_by", "booked_by", "created_at"),
    )

    id = Column(Integer, primary_key=True)
    patient_id = Column(Integer, ForeignKey("patients.id"), nullable=False, index=True)
    doctor_id = Column(String(32), nullable=False)
    start_at = Column(DateTime, nullable=False)
    end_at = Column(DateTime, nullable=False)
    status = Column(String(16), nullable=False, default=STATUS_BOOKED)
    # Keyed hash of the caller who booked (identity_failures.subject_key of the
    # channel's caller_key), for the per-caller daily cap; None for staff bookings.
    booked_by = Column(String(64), nullable=True)
    created_at = Column(DateTime, nullable=False, default=utc_now)
    updated_at = Column(DateTime, nullable=False, default=utc_now, onupdate=utc_now)

    patient = relationship("Patient", back_populates="appointments")


class IdentityFailure(Base):
    """One failed identity check, counted against a patient ID or against a caller.

    ``subject_key`` is the SHA-256 (hex) of the patient ID or of the caller's key,
    never the value itself.
    """

    __tablename__ = "identity_failures"
    __table_args__ = (
        CheckConstraint(
            f"subject_kind IN ('{SUBJECT_PATIENT}', '{SUBJECT_CALLER}')",
            name="ck_identity_failures_subject_kind",
        ),
        Index("ix_identity_failures_subject", "subject_kind", "subject_key", "failed_at"),
        Index("ix_identity_failures_failed_at", "failed_at"),
    )

    id = Column(Integer, primary_key=True)
    subject_kind = Column(String(16), nullable=False)
    subject_key = Column(String(64), nullable=False)
    failed_at = Column(DateTime, nullable=False)
