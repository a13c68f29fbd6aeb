"""The clinic's calendar as callers see it: the free slots (at a time, between two times,
on a day, nearest to a wish) and a patient's upcoming appointments, each read in its own
session. :class:`clinic.operations.ClinicOperations` adds the patients and the changes.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Callable, Iterable, List, Optional

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from clinic import transaction_checks as checks
from clinic.config import ClinicConfig
from clinic.models import STATUS_BOOKED, Appointment, Patient, from_db, to_db
from clinic.records import AppointmentDetails, SlotTaken
from clinic.scheduling import Slot, SlotRejected, check_slot, slots_between

NEAREST_SEARCH_DAYS = 14


class Calendar:
    """Reads of the calendar; ``clock`` is the current time (aware)."""

    def __init__(self, session_factory: "sessionmaker[Session]", config: ClinicConfig,
                 clock: Callable[[], datetime]) -> None:
        self._sessions = session_factory
        self._config = config
        self._clock = clock

    @property
    def config(self) -> ClinicConfig:
        return self._config

    def now(self) -> datetime:
        return self._clock().astimezone(self._config.timezone)

    def free_slot_at(self, start: datetime, doctor_id: Optional[str] = None) -> Slot:
        """The free slot starting at ``start``, else :class:`SlotRejected` or :class:`SlotTaken`."""
        doctors = [doctor_id] if doctor_id else [d.id for d in self._config.doctors]
        slots = self._valid_slots(doctors, start)
        with self._sessions() as session:
            taken = checks.taken(session, slots[0].start, slots[0].start)
        for slot in slots:
            if (slot.doctor_id, slot.start) not in taken:
                return slot
        raise SlotTaken()

    def free_slots_between(
        self, start: datetime, end: datetime, doctor_id: Optional[str] = None
    ) -> List[Slot]:
        """Free slots starting in ``[start, end)``; with no doctor, one per time."""
        candidates = slots_between(self._config, start, end, self.now(), doctor_id)
        if not candidates:
            return []
        with self._sessions() as session:
            taken = checks.taken(session, candidates[0].start, candidates[-1].start)
        free = [s for s in candidates if (s.doctor_id, s.start) not in taken]
        return free if doctor_id else _one_per_time(free)

    def free_slots_on(self, day: date, doctor_id: Optional[str] = None) -> List[Slot]:
        """Free slots of one day."""
        start = datetime.combine(day, time.min, tzinfo=self._config.timezone)
        return self.free_slots_between(start, start + timedelta(days=1), doctor_id)

    def nearest_free_slots(
        self, wished: datetime, count: int = 3, doctor_id: Optional[str] = None
    ) -> List[Slot]:
        """The ``count`` free slots closest to ``wished``, in time order."""
        wished = wished.astimezone(self._config.timezone)
        window = timedelta(days=NEAREST_SEARCH_DAYS)
        free = self.free_slots_between(wished - window, wished + window, doctor_id)
        closest = sorted(free, key=lambda s: (abs(s.start - wished), s.start))[:count]
        return sorted(closest)

    def upcoming_appointments(
        self, clinic_patient_id: str, phone_e164: str
    ) -> List[AppointmentDetails]:
        """Booked appointments still to come; empty unless ID and phone match."""
        with self._sessions() as session:
            patient = checks.patient_row(session, clinic_patient_id)
            if patient is None or patient.phone_e164 != phone_e164:
                return []
            rows = session.scalars(
                select(Appointment)
                .where(
                    Appointment.patient_id == patient.id,
                    Appointment.status == STATUS_BOOKED,
                    Appointment.start_at > to_db(self.now()),
                )
                .order_by(Appointment.start_at)
            ).all()
            return [self._details(row, patient) for row in rows]

    def _valid_slots(self, doctors: Iterable[str], start: datetime) -> List[Slot]:
        slots, rejection = [], None
        for doctor in doctors:
            try:
                slots.append(check_slot(self._config, doctor, start, self.now()))
            except SlotRejected as error:
                rejection = rejection or error
        if not slots:
            raise rejection  # type: ignore[misc]
        return slots

    def _details(self, appointment: Appointment, patient: Patient) -> AppointmentDetails:
        tz = self._config.timezone
        return AppointmentDetails(
            id=appointment.id,
            clinic_patient_id=patient.clinic_patient_id,
            doctor_id=appointment.doctor_id,
            start=from_db(appointment.start_at).astimezone(tz),
            end=from_db(appointment.end_at).astimezone(tz),
            status=appointment.status,
        )


def _one_per_time(slots: List[Slot]) -> List[Slot]:
    seen, unique = set(), []
    for slot in slots:
        if slot.start not in seen:
            seen.add(slot.start)
            unique.append(slot)
    return unique
