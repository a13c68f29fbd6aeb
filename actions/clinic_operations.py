"""What the assistant may do to the clinic's calendar, each a single transaction.

Actions call these methods and never write SQL. Every method opens its own
session, commits or rolls back as one unit, and returns plain dataclasses with
aware datetimes in the clinic's time zone. Problems the caller must hear about
are exceptions: :class:`SlotTaken`, :class:`~actions.scheduling.SlotRejected`,
:class:`PatientMismatch`, :class:`PatientNotRegistered`, :class:`PatientAlreadyBooked`,
:class:`TooManyUpcoming`, :class:`AppointmentNotFound`. Failed identity checks are
counted through :mod:`actions.identity_failures`.
"""
from __future__ import annotations

import hashlib
import logging
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Callable, Iterable, List, Optional, Set, Tuple

from sqlalchemy import and_, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from actions.clinic_config import ClinicConfig
from actions.identity_failures import Attempt, FailureCount, IdentityFailures, subject_key
from actions.models import STATUS_BOOKED, STATUS_CANCELLED, Appointment, Patient
from actions.scheduling import Slot, SlotRejected, check_slot, slots_between

logger = logging.getLogger(__name__)

NEAREST_SEARCH_DAYS = 14
_WRITE_ATTEMPTS = 3
# Writes something of its own (e.g. the staff audit) in the transaction of a change, which
# then commits both or neither.
ChangeRecord = Callable[[Session, "AppointmentDetails"], None]


class SlotTaken(Exception):
    """Somebody else holds this slot (possibly booked a moment ago)."""


class PatientMismatch(Exception):
    """The patient ID exists but the name or phone given does not match the file."""


class PatientNotRegistered(Exception):
    """The patient ID is unknown and clinic.yml accepts registered patients only."""

    def __init__(self) -> None:
        super().__init__("this patient ID is not registered at the clinic")


class PatientAlreadyBooked(Exception):
    """The patient already has an appointment at that time."""


class TooManyUpcoming(Exception):
    """The patient (``scope`` "patient") or the phone number (``scope`` "phone")
    already holds ``limit`` upcoming appointments, the most clinic.yml allows."""

    def __init__(self, limit: int, scope: str) -> None:
        holder = "patient" if scope == "patient" else "phone number"
        super().__init__(f"the {holder} already has {limit} upcoming appointment(s), the limit")
        self.limit = limit
        self.scope = scope


class TooManyBookingsToday(TooManyUpcoming):
    """The caller (a web address, or the keyed hash of a phone number) has booked
    ``limit`` appointments in the last 24 hours, the most clinic.yml allows: a script
    with fresh patient IDs and numbers cannot fill the calendar from one line."""

    def __init__(self, limit: int) -> None:
        Exception.__init__(self, f"this caller booked {limit} appointment(s) today, the limit")
        self.limit = limit
        self.scope = "caller"


class AppointmentNotFound(Exception):
    """No upcoming appointment with this id belongs to this patient."""


@dataclass(frozen=True)
class PatientDetails:
    clinic_patient_id: str
    first_name: str
    last_name: str
    phone_e164: str


@dataclass(frozen=True)
class AppointmentDetails:
    id: int
    clinic_patient_id: str
    doctor_id: str
    start: datetime
    end: datetime
    status: str


def same_name(a: str, b: str) -> bool:
    """Names match whatever the case, accents, hyphens or spacing."""
    return _name_key(a) == _name_key(b)


def _name_key(name: str) -> str:
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    letters = "".join(c for c in decomposed if c.isalnum())
    return letters


class ClinicOperations:
    """The clinic's calendar, backed by the SQL database."""

    def __init__(
        self,
        session_factory: "sessionmaker[Session]",
        config: ClinicConfig,
        clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
    ) -> None:
        self._sessions = session_factory
        self._config = config
        self._clock = clock
        self._identity_failures = IdentityFailures(session_factory, config.security, clock)

    # -- reading -----------------------------------------------------------------

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
            taken = self._taken(session, slots[0].start, slots[0].start)
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
            taken = self._taken(session, candidates[0].start, candidates[-1].start)
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

    def find_patient(self, clinic_patient_id: str) -> Optional[PatientDetails]:
        with self._sessions() as session:
            patient = self._patient(session, clinic_patient_id)
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
            patient = self._patient(session, clinic_patient_id)
            self._check_upcoming_limits(session, patient, phone_e164)
            if caller_key:
                self._check_bookings_today(session, subject_key(caller_key))

    def upcoming_appointments(
        self, clinic_patient_id: str, phone_e164: str
    ) -> List[AppointmentDetails]:
        """Booked appointments still to come; empty unless ID and phone match."""
        with self._sessions() as session:
            patient = self._patient(session, clinic_patient_id)
            if patient is None or patient.phone_e164 != phone_e164:
                return []
            rows = session.scalars(
                select(Appointment)
                .where(
                    Appointment.patient_id == patient.id,
                    Appointment.status == STATUS_BOOKED,
                    Appointment.start_at > _to_db(self.now()),
                )
                .order_by(Appointment.start_at)
            ).all()
            return [self._details(row, patient) for row in rows]

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
            appointment, patient = self._owned_upcoming(
                session, appointment_id, clinic_patient_id, phone_e164
            )
            appointment.status = STATUS_CANCELLED
            session.flush()
            return self._recorded(session, self._details(appointment, patient), record)

    # -- internals ---------------------------------------------------------------

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
            self._lock_phone(session, details.phone_e164)
            if booked_by is not None:
                self._lock(session, "caller", booked_by)
                self._check_bookings_today(session, booked_by)
            patient = self._patient(session, details.clinic_patient_id)
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
            self._check_upcoming_limits(session, patient, details.phone_e164)
            start = slots[0].start
            if self._patient_busy(session, patient.id, start):
                raise PatientAlreadyBooked()
            taken = self._taken(session, start, start)
            free = [s for s in slots if (s.doctor_id, s.start) not in taken]
            if not free:
                raise SlotTaken()
            slot = free[0]
            appointment = Appointment(
                patient_id=patient.id,
                doctor_id=slot.doctor_id,
                start_at=_to_db(slot.start),
                end_at=_to_db(slot.end),
                status=STATUS_BOOKED,
                booked_by=booked_by,
                created_at=_to_db(self.now()),
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
            appointment, patient = self._owned_upcoming(
                session, appointment_id, clinic_patient_id, phone_e164
            )
            slot = self._valid_slots([doctor_id or appointment.doctor_id], new_start)[0]
            if (appointment.doctor_id, appointment.start_at) == (
                slot.doctor_id,
                _to_db(slot.start),
            ):
                return self._details(appointment, patient)
            if self._patient_busy(session, patient.id, slot.start, exclude=appointment.id):
                raise PatientAlreadyBooked()
            if (slot.doctor_id, slot.start) in self._taken(session, slot.start, slot.start):
                raise SlotTaken()
            appointment.doctor_id = slot.doctor_id
            appointment.start_at = _to_db(slot.start)
            appointment.end_at = _to_db(slot.end)
            session.flush()
            return self._recorded(session, self._details(appointment, patient), record)

    def _owned_upcoming(
        self,
        session: Session,
        appointment_id: int,
        clinic_patient_id: str,
        phone_e164: str,
    ) -> Tuple[Appointment, Patient]:
        row = session.execute(
            select(Appointment, Patient)
            .join(Patient, Appointment.patient_id == Patient.id)
            .where(
                Appointment.id == appointment_id,
                Patient.clinic_patient_id == clinic_patient_id,
                Patient.phone_e164 == phone_e164,
                Appointment.status == STATUS_BOOKED,
                Appointment.start_at > _to_db(self.now()),
            )
            .with_for_update(of=Appointment)
        ).first()
        if row is None:
            raise AppointmentNotFound()
        return row[0], row[1]

    def _check_upcoming_limits(
        self, session: Session, patient: Optional[Patient], phone_e164: str
    ) -> None:
        security = self._config.security
        upcoming = select(func.count()).select_from(Appointment).where(
            Appointment.status == STATUS_BOOKED,
            Appointment.start_at > _to_db(self.now()),
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

    def _check_bookings_today(self, session: Session, booked_by: str) -> None:
        limit = self._config.security.max_bookings_per_caller_per_day
        since = _to_db(self.now() - timedelta(days=1))
        booked = session.scalar(select(func.count()).select_from(Appointment).where(
            Appointment.booked_by == booked_by, Appointment.created_at > since))
        if booked >= limit:
            raise TooManyBookingsToday(limit)

    @classmethod
    def _lock_phone(cls, session: Session, phone_e164: str) -> None:
        """Serialize the bookings of one phone number until the transaction ends, so
        that simultaneous bookings cannot all pass the caps."""
        cls._lock(session, "phone", phone_e164)

    @staticmethod
    def _lock(session: Session, kind: str, value: str) -> None:
        """A lock on ``kind``/``value`` until the transaction ends, on PostgreSQL. SQLite
        needs nothing: its transactions take the write lock at BEGIN (see
        actions.database)."""
        if session.get_bind().dialect.name == "postgresql":
            session.execute(select(func.pg_advisory_xact_lock(_lock_id(kind, value))))

    @staticmethod
    def _patient(session: Session, clinic_patient_id: str) -> Optional[Patient]:
        return session.scalars(
            select(Patient).where(Patient.clinic_patient_id == clinic_patient_id)
        ).first()

    @staticmethod
    def _patient_busy(
        session: Session, patient_id: int, start: datetime, exclude: Optional[int] = None
    ) -> bool:
        query = select(Appointment.id).where(
            Appointment.patient_id == patient_id,
            Appointment.start_at == _to_db(start),
            Appointment.status == STATUS_BOOKED,
        )
        if exclude is not None:
            query = query.where(Appointment.id != exclude)
        return session.execute(query).first() is not None

    @staticmethod
    def _taken(session: Session, first: datetime, last: datetime) -> Set[Tuple[str, datetime]]:
        rows = session.execute(
            select(Appointment.doctor_id, Appointment.start_at).where(
                and_(
                    Appointment.status == STATUS_BOOKED,
                    Appointment.start_at >= _to_db(first),
                    Appointment.start_at <= _to_db(last),
                )
            )
        ).all()
        return {(doctor, _from_db(start)) for doctor, start in rows}

    def _details(self, appointment: Appointment, patient: Patient) -> AppointmentDetails:
        tz = self._config.timezone
        return AppointmentDetails(
            id=appointment.id,
            clinic_patient_id=patient.clinic_patient_id,
            doctor_id=appointment.doctor_id,
            start=_from_db(appointment.start_at).astimezone(tz),
            end=_from_db(appointment.end_at).astimezone(tz),
            status=appointment.status,
        )


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


def _lock_id(kind: str, value: str) -> int:
    """A signed 64-bit number for PostgreSQL's advisory locks."""
    digest = hashlib.sha256(f"{kind}\n{value}".encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _one_per_time(slots: List[Slot]) -> List[Slot]:
    seen, unique = set(), []
    for slot in slots:
        if slot.start not in seen:
            seen.add(slot.start)
            unique.append(slot)
    return unique


def _to_db(moment: datetime) -> datetime:
    return moment.astimezone(timezone.utc).replace(tzinfo=None)


def _from_db(value: datetime) -> datetime:
    return value.replace(tzinfo=timezone.utc)
