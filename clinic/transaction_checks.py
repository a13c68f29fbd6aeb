"""What a change of the calendar checks and locks inside its own transaction.

A booking or a move is decided on rows read in the transaction that writes it: the
slot still free (:func:`taken`), the patient not already booked at that time
(:func:`patient_busy`), the caps on upcoming appointments and on a caller's bookings
of the day (:func:`check_upcoming_limits`, :func:`check_bookings_today`), the
appointment owned by the caller (:func:`owned_upcoming`). Simultaneous bookings of
one phone or one caller are serialised by PostgreSQL advisory locks (:func:`lock`);
SQLite's transactions take the write lock at BEGIN (see :mod:`clinic.database`).
"""
from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Optional, Set, Tuple

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from clinic.config import SecuritySettings
from clinic.models import STATUS_BOOKED, Appointment, Patient, from_db, to_db
from clinic.records import AppointmentNotFound, TooManyBookingsToday, TooManyUpcoming


def lock(session: Session, kind: str, value: str) -> None:
    """A lock on ``kind``/``value`` until the transaction ends, on PostgreSQL."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(_lock_id(kind, value))))


def _lock_id(kind: str, value: str) -> int:
    """A signed 64-bit number for PostgreSQL's advisory locks."""
    digest = hashlib.sha256(f"{kind}\n{value}".encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def check_upcoming_limits(session: Session, security: SecuritySettings, now: datetime,
                          patient: Optional[Patient], phone_e164: str) -> None:
    """:class:`TooManyUpcoming` when the patient or the phone holds the most upcoming
    appointments clinic.yml allows."""
    upcoming = select(func.count()).select_from(Appointment).where(
        Appointment.status == STATUS_BOOKED,
        Appointment.start_at > to_db(now),
    )
    if patient is not None and patient.id is not None:
        held = session.scalar(upcoming.where(Appointment.patient_id == patient.id))
        if held >= security.max_upcoming_per_patient:
            raise TooManyUpcoming(security.max_upcoming_per_patient, "patient")
    held = session.scalar(
        upcoming.join(Patient, Appointment.patient_id == Patient.id).where(
            Patient.phone_e164 == phone_e164
        )
    )
    if held >= security.max_upcoming_per_phone:
        raise TooManyUpcoming(security.max_upcoming_per_phone, "phone")


def check_bookings_today(session: Session, limit: int, now: datetime, booked_by: str) -> None:
    """:class:`TooManyBookingsToday` when this caller booked ``limit`` in 24 hours."""
    since = to_db(now - timedelta(days=1))
    booked = session.scalar(select(func.count()).select_from(Appointment).where(
        Appointment.booked_by == booked_by, Appointment.created_at > since))
    if booked >= limit:
        raise TooManyBookingsToday(limit)


def patient_row(session: Session, clinic_patient_id: str) -> Optional[Patient]:
    return session.scalars(
        select(Patient).where(Patient.clinic_patient_id == clinic_patient_id)
    ).first()


def patient_busy(session: Session, patient_id: int, start: datetime,
                 exclude: Optional[int] = None) -> bool:
    """Whether the patient already has an appointment at ``start`` (but ``exclude``)."""
    query = select(Appointment.id).where(
        Appointment.patient_id == patient_id,
        Appointment.start_at == to_db(start),
        Appointment.status == STATUS_BOOKED,
    )
    if exclude is not None:
        query = query.where(Appointment.id != exclude)
    return session.execute(query).first() is not None


def taken(session: Session, first: datetime, last: datetime) -> Set[Tuple[str, datetime]]:
    """(doctor, start) of every booked appointment starting in ``[first, last]``."""
    rows = session.execute(
        select(Appointment.doctor_id, Appointment.start_at).where(
            and_(
                Appointment.status == STATUS_BOOKED,
                Appointment.start_at >= to_db(first),
                Appointment.start_at <= to_db(last),
            )
        )
    ).all()
    return {(doctor, from_db(start)) for doctor, start in rows}


def owned_upcoming(session: Session, now: datetime, appointment_id: int,
                   clinic_patient_id: str, phone_e164: str) -> Tuple[Appointment, Patient]:
    """The upcoming appointment of this patient ID and phone, locked for update;
    :class:`AppointmentNotFound` otherwise."""
    row = session.execute(
        select(Appointment, Patient)
        .join(Patient, Appointment.patient_id == Patient.id)
        .where(
            Appointment.id == appointment_id,
            Patient.clinic_patient_id == clinic_patient_id,
            Patient.phone_e164 == phone_e164,
            Appointment.status == STATUS_BOOKED,
            Appointment.start_at > to_db(now),
        )
        .with_for_update(of=Appointment)
    ).first()
    if row is None:
        raise AppointmentNotFound()
    return row[0], row[1]
