"""What the assistant may do to the clinic's calendar, each a single transaction.

Actions call these methods and never write SQL. Every method opens its own
session, commits or rolls back as one unit, and returns plain dataclasses with
aware datetimes in the clinic's time zone. Problems the caller must hear about
are exceptions: :class:`SlotTaken`, :class:`~clinic.scheduling.SlotRejected`,
:class:`PatientMismatch`, :class:`PatientNotRegistered`, :class:`PatientAlreadyBooked`,
:class:`TooManyUpcoming`, :class:`AppointmentNotFound`. Failed identity checks are
counted through :mod:`clinic.identity_failures`; the checks and locks of a change's
transaction are in :mod:`clinic.transaction_checks`.
"""
from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import Callable, List, Optional

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from clinic import transaction_checks as checks
from clinic.calendar import Calendar
from clinic.config import ClinicConfig
from clinic.identity_failures import Attempt, FailureCount, IdentityFailures, subject_key
from clinic.models import STATUS_BOOKED, STATUS_CANCELLED, Appointment, Patient, to_db
from clinic.records import (
    AppointmentDetails,
    AppointmentNotFound,
    ChangeRecord,
    PatientAlreadyBooked,
    PatientDetails,
    PatientMismatch,
    PatientNotRegistered,
    SlotTaken,
    TooManyBookingsToday,
    TooManyUpcoming,
    same_name,
)
from clinic.scheduling import Slot

logger = logging.getLogger(__name__)

# The operations, and what they take, give and raise (:mod:`clinic.records`).
__all__ = [
    "ClinicOperations", "AppointmentDetails", "AppointmentNotFound", "ChangeRecord",
    "PatientAlreadyBooked", "PatientDetails", "PatientMismatch", "PatientNotRegistered",
    "SlotTaken", "TooManyBookingsToday", "TooManyUpcoming", "same_name",
]

_WRITE_ATTEMPTS = 3


class ClinicOperations(Calendar):
    """The clinic's calendar, its patients and the changes callers make, backed by the
    SQL database."""

    def __init__(
        self,
        session_factory: "sessionmaker[Session]",
        config: ClinicConfig,
        clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
    ) -> None:
        super().__init__(session_factory, config, clock)
        self._identity_failures = IdentityFailures(session_factory, config.security, clock)

    # -- patients and identity ------------------------------------------------------

    def find_patient(self, clinic_patient_id: str) -> Optional[PatientDetails]:
        with self._sessions() as session:
            patient = checks.patient_row(session, clinic_patient_id)
            return _patient_details(patient) if patient else None

    def verify_identity(self, clinic_patient_id: str, phone_e164: str) -> bool:
        """True when the ID exists and the phone is the one on file."""
        patient = self.find_patient(clinic_patient_id)
        return patient is not None and patient.phone_e164 == phone_e164

    def patient_id_by_name_and_phone(
        self, last_name: str, first_name: str, phone_e164: str
    ) -> Optional[str]:
        """The file number of the one patient with this name and phone (a caller
        without their file number); None when there is none, or more than one."""
        with self._sessions() as session:
            on_phone = session.scalars(
                select(Patient).where(Patient.phone_e164 == phone_e164)
            ).all()
            found = [p.clinic_patient_id for p in on_phone
                     if same_name(p.last_name, last_name) and same_name(p.first_name, first_name)]
        return found[0] if len(found) == 1 else None

    def identity_failures(self, clinic_patient_id: str, caller_key: str) -> FailureCount:
        """Recent failed identity checks of this patient ID and of this caller."""
        return self._identity_failures.count(clinic_patient_id, caller_key)

    def record_identity_failure(self, clinic_patient_id: str, caller_key: str) -> FailureCount:
        """Count a failed identity check; the counts including it."""
        return self._identity_failures.record(clinic_patient_id, caller_key)

    def begin_identity_check(self, clinic_patient_id: str, caller_key: str) -> Attempt:
        """Record an identity check as failed before verifying it (see
        :meth:`IdentityFailures.attempt`)."""
        return self._identity_failures.attempt(clinic_patient_id, caller_key)

    def check_upcoming_limits(self, clinic_patient_id: str, phone_e164: str,
                              caller_key: Optional[str] = None) -> None:
        """:class:`TooManyUpcoming` (or :class:`TooManyBookingsToday` for ``caller_key``)
        when a booking for them would be refused (the booking itself checks again)."""
        with self._sessions() as session:
            patient = checks.patient_row(session, clinic_patient_id)
            checks.check_upcoming_limits(session, self._config.security, self.now(), patient,
                                         phone_e164)
            if caller_key:
                checks.check_bookings_today(
                    session, self._config.security.max_bookings_per_caller_per_day,
                    self.now(), subject_key(caller_key))

    # -- writing -----------------------------------------------------------------

    def book(
        self,
        patient: PatientDetails,
        start: datetime,
        doctor_id: Optional[str] = None,
        record: Optional[ChangeRecord] = None,
        caller_key: Optional[str] = None,
    ) -> AppointmentDetails:
        """Book ``start`` for ``patient`` (created if new and allowed; checked if known).
        ``record`` (e.g. the staff audit) writes in the same transaction: both or neither.
        ``caller_key``: the channel's key of who is calling (None for staff), capped at
        ``max_bookings_per_caller_per_day`` bookings in 24 hours."""
        doctors = [doctor_id] if doctor_id else [d.id for d in self._config.doctors]
        slots = self._valid_slots(doctors, start)
        for _attempt in range(_WRITE_ATTEMPTS):
            try:
                return self._book_once(patient, slots, record, caller_key)
            except IntegrityError:
                # A concurrent transaction won the race; look again with fresh data.
                logger.info("booking raced with another one; retrying")
        raise SlotTaken()

    def reschedule(
        self,
        appointment_id: int,
        clinic_patient_id: str,
        phone_e164: str,
        new_start: datetime,
        doctor_id: Optional[str] = None,
        record: Optional[ChangeRecord] = None,
    ) -> AppointmentDetails:
        """Move an upcoming appointment (same doctor unless ``doctor_id`` is given);
        ``record`` as for :meth:`book`."""
        for _attempt in range(_WRITE_ATTEMPTS):
            try:
                return self._reschedule_once(
                    appointment_id, clinic_patient_id, phone_e164, new_start, doctor_id, record
                )
            except IntegrityError:
                logger.info("rescheduling raced with another booking; retrying")
        raise SlotTaken()

    def cancel(
        self, appointment_id: int, clinic_patient_id: str, phone_e164: str,
        record: Optional[ChangeRecord] = None,
    ) -> AppointmentDetails:
        """Cancel an upcoming appointment; the row stays, marked cancelled; ``record`` as
        for :meth:`book`."""
        with self._sessions() as session, session.begin():
            appointment, patient = checks.owned_upcoming(
                session, self.now(), appointment_id, clinic_patient_id, phone_e164
            )
            appointment.status = STATUS_CANCELLED
            session.flush()
            return self._recorded(session, self._details(appointment, patient), record)

    # -- internals ---------------------------------------------------------------

    @staticmethod
    def _recorded(session: Session, done: AppointmentDetails,
                  record: Optional[ChangeRecord]) -> AppointmentDetails:
        if record is not None:
            record(session, done)
            session.flush()
        return done

    def _book_once(self, details: PatientDetails, slots: List[Slot],
                   record: Optional[ChangeRecord] = None,
                   caller_key: Optional[str] = None) -> AppointmentDetails:
        booked_by = subject_key(caller_key) if caller_key else None
        with self._sessions() as session, session.begin():
            checks.lock(session, "phone", details.phone_e164)
            if booked_by is not None:
                checks.lock(session, "caller", booked_by)
                checks.check_bookings_today(session, self._config.security.max_bookings_per_caller_per_day,
                                     self.now(), booked_by)
            patient = checks.patient_row(session, details.clinic_patient_id)
            if patient is None and self._config.security.registered_patients_only:
                raise PatientNotRegistered()
            if patient is None:
                patient = Patient(
                    clinic_patient_id=details.clinic_patient_id,
                    first_name=details.first_name.strip(),
                    last_name=details.last_name.strip(),
                    phone_e164=details.phone_e164,
                )
                session.add(patient)
                session.flush()
            elif not _matches(patient, details):
                raise PatientMismatch()
            checks.check_upcoming_limits(session, self._config.security, self.now(), patient,
                                  details.phone_e164)
            start = slots[0].start
            if checks.patient_busy(session, patient.id, start):
                raise PatientAlreadyBooked()
            taken = checks.taken(session, start, start)
            free = [s for s in slots if (s.doctor_id, s.start) not in taken]
            if not free:
                raise SlotTaken()
            slot = free[0]
            appointment = Appointment(
                patient_id=patient.id,
                doctor_id=slot.doctor_id,
                start_at=to_db(slot.start),
                end_at=to_db(slot.end),
                status=STATUS_BOOKED,
                booked_by=booked_by,
                created_at=to_db(self.now()),
            )
            session.add(appointment)
            session.flush()
            return self._recorded(session, self._details(appointment, patient), record)

    def _reschedule_once(
        self,
        appointment_id: int,
        clinic_patient_id: str,
        phone_e164: str,
        new_start: datetime,
        doctor_id: Optional[str],
        record: Optional[ChangeRecord] = None,
    ) -> AppointmentDetails:
        with self._sessions() as session, session.begin():
            appointment, patient = checks.owned_upcoming(
                session, self.now(), appointment_id, clinic_patient_id, phone_e164
            )
            slot = self._valid_slots([doctor_id or appointment.doctor_id], new_start)[0]
            if (appointment.doctor_id, appointment.start_at) == (
                slot.doctor_id,
                to_db(slot.start),
            ):
                return self._details(appointment, patient)
            if checks.patient_busy(session, patient.id, slot.start, exclude=appointment.id):
                raise PatientAlreadyBooked()
            if (slot.doctor_id, slot.start) in checks.taken(session, slot.start, slot.start):
                raise SlotTaken()
            appointment.doctor_id = slot.doctor_id
            appointment.start_at = to_db(slot.start)
            appointment.end_at = to_db(slot.end)
            session.flush()
            return self._recorded(session, self._details(appointment, patient), record)



def _matches(patient: Patient, details: PatientDetails) -> bool:
    return (
        same_name(patient.last_name, details.last_name)
        and same_name(patient.first_name, details.first_name)
        and patient.phone_e164 == details.phone_e164
    )


def _patient_details(patient: Patient) -> PatientDetails:
    return PatientDetails(
        clinic_patient_id=patient.clinic_patient_id,
        first_name=patient.first_name,
        last_name=patient.last_name,
        phone_e164=patient.phone_e164,
    )
