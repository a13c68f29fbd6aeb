"""The doctors' agenda as staff see it: every slot of a day or a week, free or booked,
with cancelled appointments shown apart, and the patient search.

Read-only: changes go through :mod:`staff_console.staff_actions`. Slots come from the
clinic's grid (clinic.yml: hours, appointment length, closed days), past ones included;
appointments from the clinic database, both statuses.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Dict, List, Optional

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, sessionmaker

from clinic.config import ClinicConfig
from clinic.models import STATUS_BOOKED, Appointment, Patient, from_db, to_db
from staff_console.masking import mask_phone

MAX_DAYS = 7
SEARCH_LIMIT = 20


@dataclass(frozen=True)
class BookedPatient:
    appointment_id: int
    status: str
    clinic_patient_id: str
    name: str


@dataclass
class AgendaSlot:
    start: datetime  # aware, clinic time zone
    end: datetime
    past: bool
    booked: Optional[BookedPatient] = None
    cancelled: List[BookedPatient] = field(default_factory=list)

    def as_dict(self) -> Dict:
        return {"start": self.start.isoformat(), "end": self.end.isoformat(),
                "time": self.start.strftime("%H:%M"), "past": self.past,
                "booked": self.booked.__dict__ if self.booked else None,
                "cancelled": [c.__dict__ for c in self.cancelled]}


def agenda(sessions: "sessionmaker[Session]", config: ClinicConfig, doctor_id: str,
           first_day: date, days: int, now: datetime) -> List[Dict]:
    """``days`` days (1 to 7) of ``doctor_id`` from ``first_day``: a dict per day with its
    slots. ``KeyError`` for an unknown doctor, ``ValueError`` for a bad number of days."""
    if not 1 <= days <= MAX_DAYS:
        raise ValueError(f"days must be 1 to {MAX_DAYS}")
    doctor = config.doctor(doctor_id)
    tz = config.timezone
    start = datetime.combine(first_day, time.min, tzinfo=tz)
    end = start + timedelta(days=days)
    by_start = _appointments(sessions, doctor_id, start, end, tz)
    result = []
    for offset in range(days):
        day = first_day + timedelta(days=offset)
        slots = []
        for period in config.hours_of(doctor, day):
            moment = datetime.combine(day, period.start, tzinfo=tz)
            period_end = datetime.combine(day, period.end, tzinfo=tz)
            while moment + config.appointment_length <= period_end:
                slot = AgendaSlot(moment, moment + config.appointment_length, moment <= now)
                for item in by_start.pop(moment, []):
                    if item.status == STATUS_BOOKED:
                        slot.booked = item
                    else:
                        slot.cancelled.append(item)
                slots.append(slot)
                moment += config.appointment_length
        # Appointments off today's grid (hours changed since) are still shown.
        for moment in sorted(m for m in by_start if m.date() == day):
            items = by_start.pop(moment)
            slot = AgendaSlot(moment, moment + config.appointment_length, moment <= now)
            slot.booked = next((i for i in items if i.status == STATUS_BOOKED), None)
            slot.cancelled = [i for i in items if i.status != STATUS_BOOKED]
            slots.append(slot)
        slots.sort(key=lambda s: s.start)
        result.append({"date": day.isoformat(), "closed": not config.hours_of(doctor, day),
                       "slots": [s.as_dict() for s in slots]})
    return result


def _appointments(sessions, doctor_id: str, start: datetime, end: datetime, tz):
    with sessions() as session:
        rows = session.execute(
            select(Appointment, Patient)
            .join(Patient, Appointment.patient_id == Patient.id)
            .where(Appointment.doctor_id == doctor_id,
                   Appointment.start_at >= to_db(start), Appointment.start_at < to_db(end))
            .order_by(Appointment.start_at, Appointment.id)
        ).all()
    found: Dict[datetime, List[BookedPatient]] = {}
    for appointment, patient in rows:
        moment = from_db(appointment.start_at).astimezone(tz)
        found.setdefault(moment, []).append(BookedPatient(
            appointment.id, appointment.status, patient.clinic_patient_id,
            f"{patient.first_name} {patient.last_name}"))
    return found


def search_patients(sessions: "sessionmaker[Session]", config: ClinicConfig, query: str,
                    now: datetime) -> List[Dict]:
    """Patients whose ID is ``query`` or whose name contains it (case aside), with their
    upcoming appointments; the phone number masked."""
    query = " ".join((query or "").split())
    if len(query) < 2:
        raise ValueError("Saisissez au moins 2 caractères.")
    pattern = f"%{query.lower()}%"
    full_name = func.lower(Patient.first_name + " " + Patient.last_name)
    with sessions() as session:
        patients = session.scalars(
            select(Patient).where(or_(
                Patient.clinic_patient_id == query,
                func.lower(Patient.last_name).like(pattern),
                func.lower(Patient.first_name).like(pattern),
                full_name.like(pattern),
            )).order_by(Patient.last_name, Patient.first_name).limit(SEARCH_LIMIT)
        ).all()
        result = []
        for patient in patients:
            upcoming = session.scalars(
                select(Appointment).where(
                    Appointment.patient_id == patient.id, Appointment.status == STATUS_BOOKED,
                    Appointment.start_at > to_db(now)).order_by(Appointment.start_at)).all()
            result.append({
                "clinic_patient_id": patient.clinic_patient_id,
                "first_name": patient.first_name, "last_name": patient.last_name,
                "phone": mask_phone(patient.phone_e164),
                "upcoming": [{
                    "appointment_id": a.id, "doctor_id": a.doctor_id,
                    "start": from_db(a.start_at)
                    .astimezone(config.timezone).isoformat()} for a in upcoming],
            })
    return result
