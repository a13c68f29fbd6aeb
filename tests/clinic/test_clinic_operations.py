"""Clinic operations on real SQLite and PostgreSQL databases."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from clinic.operations import (
    AppointmentNotFound,
    ClinicOperations,
    PatientAlreadyBooked,
    PatientDetails,
    PatientMismatch,
    SlotTaken,
)
from clinic.models import STATUS_BOOKED, STATUS_CANCELLED, Appointment, Patient
from clinic.scheduling import SlotRejected

ALICE = PatientDetails("482913", "Alice", "Lefèvre", "+33612345678")
BOB = PatientDetails("105577", "Bob", "Nguyen", "+33698765432")


def paris(text: str) -> datetime:
    return datetime.fromisoformat(text + "+01:00")


@pytest.fixture
def ops(session_factory, clinic, fixed_now) -> ClinicOperations:
    return ClinicOperations(session_factory, clinic, clock=lambda: fixed_now)


def rows(session_factory, model):
    with session_factory() as session:
        return session.scalars(select(model).order_by(model.id)).all()


def test_book_creates_patient_and_stores_utc(ops, session_factory):
    booked = ops.book(ALICE, paris("2026-11-26T10:30:00"), "martin")

    assert booked.start == paris("2026-11-26T10:30:00")
    assert booked.end == paris("2026-11-26T11:00:00")
    assert booked.status == STATUS_BOOKED
    [patient] = rows(session_factory, Patient)
    assert (patient.clinic_patient_id, patient.phone_e164) == ("482913", "+33612345678")
    [row] = rows(session_factory, Appointment)
    assert row.start_at == datetime(2026, 11, 26, 9, 30)  # naive UTC
    assert row.doctor_id == "martin"
    assert row.created_at is not None and row.updated_at is not None


def test_known_patient_must_match_name_and_phone(ops, session_factory):
    ops.book(ALICE, paris("2026-11-26T10:30:00"), "martin")
    wrong_phone = PatientDetails("482913", "Alice", "Lefèvre", "+33611111111")
    with pytest.raises(PatientMismatch):
        ops.book(wrong_phone, paris("2026-11-26T11:00:00"), "martin")
    wrong_name = PatientDetails("482913", "Alicia", "Lefèvre", "+33612345678")
    with pytest.raises(PatientMismatch):
        ops.book(wrong_name, paris("2026-11-26T11:00:00"), "martin")
    assert len(rows(session_factory, Appointment)) == 1


def test_known_patient_name_matches_whatever_case_and_accents(ops):
    ops.book(ALICE, paris("2026-11-26T10:30:00"), "martin")
    spoken = PatientDetails("482913", "alice", "LEFEVRE", "+33612345678")
    assert ops.book(spoken, paris("2026-11-27T10:30:00"), "martin").clinic_patient_id == "482913"


def test_taken_slot_of_a_doctor_is_refused(ops, session_factory):
    ops.book(ALICE, paris("2026-11-26T10:30:00"), "martin")
    with pytest.raises(SlotTaken):
        ops.book(BOB, paris("2026-11-26T10:30:00"), "martin")
    # A failed booking leaves no trace: the new patient is not created either.
    assert [p.clinic_patient_id for p in rows(session_factory, Patient)] == ["482913"]


def test_any_doctor_takes_the_next_free_one(ops):
    ops.book(ALICE, paris("2026-11-26T10:30:00"), "martin")
    second = ops.book(BOB, paris("2026-11-26T10:30:00"))
    assert second.doctor_id == "dubois"  # Thursday: Dr Dubois works, Dr Nguyen does not


def test_patient_cannot_hold_two_appointments_at_once(ops):
    ops.book(ALICE, paris("2026-11-26T10:30:00"), "martin")
    with pytest.raises(PatientAlreadyBooked):
        ops.book(ALICE, paris("2026-11-26T10:30:00"), "dubois")


@pytest.mark.parametrize(
    "wished, doctor, reason",
    [
        ("2026-11-24T10:30:00", "martin", SlotRejected.PAST),
        ("2026-11-25T08:30:00", "martin", SlotRejected.PAST),
        ("2026-11-29T10:30:00", "martin", SlotRejected.CLOSED_DAY),  # Sunday
        ("2026-12-25T10:30:00", "martin", SlotRejected.CLOSED_DAY),  # Christmas
        ("2026-11-26T13:00:00", "martin", SlotRejected.OUTSIDE_HOURS),  # lunch
        ("2026-11-26T19:00:00", "martin", SlotRejected.OUTSIDE_HOURS),
        ("2026-11-26T10:15:00", "martin", SlotRejected.OFF_GRID),
        ("2026-11-26T10:30:00", "nguyen", SlotRejected.CLOSED_DAY),  # not her day
        ("2026-11-26T10:30:00", "house", SlotRejected.UNKNOWN_DOCTOR),
        ("2027-06-01T10:30:00", "martin", SlotRejected.TOO_FAR),
    ],
)
def test_unbookable_times_are_rejected_with_a_reason(ops, session_factory, wished, doctor, reason):
    with pytest.raises(SlotRejected) as error:
        ops.book(ALICE, paris(wished), doctor)
    assert error.value.reason == reason
    assert rows(session_factory, Appointment) == []


def test_free_slots_on_a_day_follow_hours_and_bookings(ops):
    tuesday = date(2026, 12, 1)
    dubois = ops.free_slots_on(tuesday, "dubois")
    assert dubois[0].start == paris("2026-12-01T14:00:00")  # afternoons only on Tuesday
    assert dubois[-1].start == paris("2026-12-01T18:30:00")
    assert len(dubois) == 10

    ops.book(ALICE, paris("2026-12-01T08:30:00"), "martin")
    martin = ops.free_slots_on(tuesday, "martin")
    assert martin[0].start == paris("2026-12-01T09:00:00")
    assert paris("2026-12-01T13:00:00") not in {s.start for s in martin}

    any_doctor = ops.free_slots_on(tuesday)
    starts = [s.start for s in any_doctor]
    assert starts == sorted(set(starts))  # one offer per time
    assert starts[0] == paris("2026-12-01T09:00:00")


def test_free_slots_of_today_start_after_now(ops):
    today = ops.free_slots_on(date(2026, 11, 25), "martin")
    assert today[0].start == paris("2026-11-25T09:30:00")


def test_free_slots_between_an_interval(ops):
    slots = ops.free_slots_between(
        paris("2026-11-26T14:00:00"), paris("2026-11-26T15:00:00"), "martin"
    )
    assert [s.start for s in slots] == [paris("2026-11-26T14:00:00"), paris("2026-11-26T14:30:00")]


def test_nearest_free_slots_surround_a_taken_time(ops):
    ops.book(ALICE, paris("2026-11-26T10:30:00"), "martin")
    nearest = ops.nearest_free_slots(paris("2026-11-26T10:30:00"), 3, "martin")
    # 10:00 and 11:00 are 30 minutes away; of the two 60 minutes away, the earlier wins.
    assert [s.start for s in nearest] == [
        paris("2026-11-26T09:30:00"),
        paris("2026-11-26T10:00:00"),
        paris("2026-11-26T11:00:00"),
    ]


def test_nearest_free_slots_of_a_closed_day_are_on_open_days(ops):
    nearest = ops.nearest_free_slots(paris("2026-11-29T10:00:00"), 3, "martin")  # Sunday
    assert len(nearest) == 3
    assert all(s.start.weekday() != 6 for s in nearest)


def test_upcoming_appointments_need_id_and_phone(ops):
    ops.book(ALICE, paris("2026-11-27T10:30:00"), "martin")
    ops.book(ALICE, paris("2026-11-26T09:00:00"), "dubois")
    upcoming = ops.upcoming_appointments("482913", "+33612345678")
    assert [a.start for a in upcoming] == [paris("2026-11-26T09:00:00"), paris("2026-11-27T10:30:00")]
    assert ops.upcoming_appointments("482913", "+33699999999") == []
    assert ops.upcoming_appointments("999999", "+33612345678") == []
    assert ops.verify_identity("482913", "+33612345678")
    assert not ops.verify_identity("482913", "+33699999999")


def test_cancel_keeps_the_row(ops, session_factory):
    booked = ops.book(ALICE, paris("2026-11-27T10:30:00"), "martin")
    with pytest.raises(AppointmentNotFound):
        ops.cancel(booked.id, "482913", "+33699999999")
    cancelled = ops.cancel(booked.id, "482913", "+33612345678")
    assert cancelled.status == STATUS_CANCELLED
    [row] = rows(session_factory, Appointment)
    assert row.status == STATUS_CANCELLED
    assert ops.upcoming_appointments("482913", "+33612345678") == []
    with pytest.raises(AppointmentNotFound):
        ops.cancel(booked.id, "482913", "+33612345678")
    # The freed slot can be booked again.
    assert ops.book(BOB, paris("2026-11-27T10:30:00"), "martin").status == STATUS_BOOKED


def test_reschedule_moves_and_frees_the_old_slot(ops, session_factory):
    booked = ops.book(ALICE, paris("2026-11-27T10:30:00"), "martin")
    moved = ops.reschedule(booked.id, "482913", "+33612345678", paris("2026-11-30T15:00:00"))
    assert (moved.id, moved.doctor_id, moved.start) == (booked.id, "martin", paris("2026-11-30T15:00:00"))
    assert ops.book(BOB, paris("2026-11-27T10:30:00"), "martin").doctor_id == "martin"
    assert len(rows(session_factory, Appointment)) == 2


def test_reschedule_to_a_taken_slot_changes_nothing(ops, session_factory):
    mine = ops.book(ALICE, paris("2026-11-27T10:30:00"), "martin")
    ops.book(BOB, paris("2026-11-30T15:00:00"), "martin")
    with pytest.raises(SlotTaken):
        ops.reschedule(mine.id, "482913", "+33612345678", paris("2026-11-30T15:00:00"))
    with pytest.raises(SlotRejected):
        ops.reschedule(mine.id, "482913", "+33612345678", paris("2026-11-29T15:00:00"))
    with pytest.raises(AppointmentNotFound):
        ops.reschedule(mine.id, "105577", "+33698765432", paris("2026-12-01T15:00:00"))
    [still] = ops.upcoming_appointments("482913", "+33612345678")
    assert still.start == paris("2026-11-27T10:30:00")


def test_database_itself_refuses_a_second_active_booking(session_factory):
    """The unique index holds even for code that skips the operations' checks."""
    with session_factory() as session, session.begin():
        patient = Patient(clinic_patient_id="1", first_name="A", last_name="B", phone_e164="+33612345678")
        other = Patient(clinic_patient_id="2", first_name="C", last_name="D", phone_e164="+33612345679")
        session.add_all([patient, other])
        session.flush()
        start, end = datetime(2026, 12, 1, 9), datetime(2026, 12, 1, 9, 30)
        session.add(Appointment(patient_id=patient.id, doctor_id="martin", start_at=start, end_at=end, status=STATUS_CANCELLED))
        session.add(Appointment(patient_id=patient.id, doctor_id="martin", start_at=start, end_at=end, status=STATUS_BOOKED))
        session.flush()  # a cancelled row does not block the slot
    with pytest.raises(IntegrityError):
        with session_factory() as session, session.begin():
            session.add(Appointment(patient_id=other.id, doctor_id="martin", start_at=start, end_at=end, status=STATUS_BOOKED))
            session.flush()


def test_fifty_simultaneous_bookings_of_one_slot_give_exactly_one(ops, session_factory):
    attempts = 50
    barrier = threading.Barrier(attempts)
    wished = paris("2026-12-02T10:00:00")

    def attempt(i: int) -> str:
        patient = PatientDetails(f"{700000 + i}", "Prénom", f"Nom{i}", f"+336123456{i:02d}")
        barrier.wait()
        try:
            ops.book(patient, wished, "martin")
            return "booked"
        except SlotTaken:
            return "taken"

    with ThreadPoolExecutor(max_workers=attempts) as pool:
        outcomes = list(pool.map(attempt, range(attempts)))

    assert outcomes.count("booked") == 1
    assert outcomes.count("taken") == attempts - 1
    with session_factory() as session:
        booked = session.scalar(
            select(func.count()).select_from(Appointment).where(Appointment.status == STATUS_BOOKED)
        )
        patients = session.scalar(select(func.count()).select_from(Patient))
    assert booked == 1
    assert patients == 1  # the 49 losers left no half-written patient behind
