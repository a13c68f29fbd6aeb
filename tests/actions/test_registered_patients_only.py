"""The shipped clinic.yml: only registered patients book, one answer for an unknown ID
and for a known ID with the wrong details (both counted as failures), and a cap on the
bookings one caller makes in a day, whatever IDs and numbers they give.

On SQLite and PostgreSQL, with real trackers and the real booking form."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from actions import slots
from actions.booking import ValidateBookingForm
from clinic.operations import (
    ClinicOperations,
    PatientDetails,
    PatientNotRegistered,
    TooManyBookingsToday,
)
from actions.clinic_service import use_clinic_operations
from actions.identity_check import IDENTITY_NOT_FOUND
from clinic.models import Appointment, IdentityFailure, Patient
from clinic.patient_registry import PatientRecord, register_patients
from tests.actions.tracker_builder import (
    make_tracker, new_dispatcher, paris, run_form_validation,
    slot_value, texts,
)

MARIE = PatientRecord("482913", "Dupont", "Marie", "+33612345678")
SCRIPT = "web:5f1e0c2b9a8d7e6f5a4b3c2d1e0f9a8b"  # the channel's key of one web address
CALLER_LIMIT = (
    "J'ai déjà pris 3 rendez-vous aujourd'hui depuis cette ligne : c'est le maximum que je "
    "peux prendre. Pour un autre rendez-vous, voulez-vous que je vous passe l'accueil ?"
)


@pytest.fixture
def shipped(session_factory, shipped_clinic, fixed_now):
    operations = ClinicOperations(session_factory, shipped_clinic, clock=lambda: fixed_now)
    use_clinic_operations(operations)
    try:
        yield operations
    finally:
        use_clinic_operations(None)


def giving_phone(patient_id, said, *, caller=SCRIPT, sender="conversation-1",
                 last_name="Dupont", first_name="Marie"):
    return make_tracker(
        slots={slots.LAST_NAME: last_name, slots.FIRST_NAME: first_name,
               slots.PATIENT_ID: patient_id},
        text=said, active_loop=slots.BOOKING_FORM, requested_slot=slots.PHONE_NUMBER,
        filled={slots.PHONE_NUMBER: said}, metadata={"caller_key": caller}, sender_id=sender)


def confirming(patient_id, phone, start, *, caller=SCRIPT, last_name="Martin",
               first_name="Jean"):
    chosen = slot_value(start, "martin")
    return make_tracker(
        slots={slots.LAST_NAME: last_name, slots.FIRST_NAME: first_name,
               slots.PATIENT_ID: patient_id, slots.PHONE_NUMBER: phone,
               slots.BOOKING_TIME: chosen["start"], slots.CHOSEN_SLOT: chosen},
        text="oui", intent="affirm", active_loop=slots.BOOKING_FORM,
        requested_slot=slots.BOOKING_CONFIRMED, filled={slots.BOOKING_CONFIRMED: True},
        metadata={"caller_key": caller})


async def validate(tracker, domain):
    dispatcher = new_dispatcher()
    result = await run_form_validation(ValidateBookingForm(), tracker, dispatcher, domain)
    return result, texts(dispatcher)


def failures(session_factory) -> int:
    with session_factory() as session:
        return session.scalar(select(func.count()).select_from(IdentityFailure))


def test_the_shipped_clinic_books_registered_patients_only(shipped, session_factory):
    stranger = PatientDetails("777777", "Jean", "Martin", "+33699887766")
    with pytest.raises(PatientNotRegistered):
        shipped.book(stranger, paris("2026-11-30T09:00:00"), "martin")
    with session_factory() as session:
        assert session.scalars(select(Patient)).all() == []


@pytest.mark.asyncio
async def test_an_unknown_id_and_a_wrong_phone_get_one_answer_and_both_count(
        domain, shipped, session_factory):
    """No oracle: a script cannot tell an existing file from a missing one, and guessing
    IDs that do not exist locks the caller out like guessing phones."""
    register_patients(session_factory, [MARIE])
    unknown, said_unknown = await validate(giving_phone("777777", "06 12 34 56 78"), domain)
    assert failures(session_factory) == 2  # one row for the ID, one for the caller
    wrong, said_wrong = await validate(giving_phone("482913", "06 99 88 77 66"), domain)
    assert failures(session_factory) == 4
    assert said_unknown == said_wrong == [IDENTITY_NOT_FOUND]
    assert {k: v for k, v in unknown.items() if k != slots.VALIDATION_FAILURES} == \
        {k: v for k, v in wrong.items() if k != slots.VALIDATION_FAILURES}
    with session_factory() as session:
        assert session.scalars(select(Patient.clinic_patient_id)).all() == ["482913"]


@pytest.mark.asyncio
async def test_a_registered_patient_books_as_before(domain, shipped, session_factory):
    register_patients(session_factory, [MARIE])
    result, said = await validate(giving_phone("482913", "06 12 34 56 78"), domain)
    assert said == [] and result[slots.PHONE_NUMBER] == "+33612345678"
    booked, _ = await validate(confirming("482913", "+33612345678", "2026-11-30T09:00:00",
                                          last_name="Dupont", first_name="Marie"), domain)
    assert booked[slots.OUTCOME]["booked"]


@pytest.mark.asyncio
async def test_one_caller_books_at_most_three_a_day_whatever_the_ids(
        domain, session_factory, clinic, fixed_now):
    """A script with fresh patient IDs and phone numbers (here on a clinic that accepts
    new patients, where the other caps cannot stop it) fills at most three slots a day
    from one web address or one calling number; another caller still books."""
    open_clinic = ClinicOperations(session_factory, clinic, clock=lambda: fixed_now)
    use_clinic_operations(open_clinic)
    try:
        outcomes = []
        for i in range(5):
            result, said = await validate(confirming(
                f"60000{i}", f"+3361234560{i}", f"2026-11-30T0{9 + i // 2}:{30 * (i % 2):02d}:00"
                if i < 2 else f"2026-12-01T{9 + i}:00:00"), domain)
            outcomes.append((result.get(slots.OUTCOME), said))
        assert [bool((o or {}).get("booked")) for o, _ in outcomes] == [True] * 3 + [False] * 2
        assert outcomes[3] == ({"refused": "upcoming_limit"}, [CALLER_LIMIT])
        other, _ = await validate(confirming("600009", "+33612345609", "2026-12-02T10:00:00",
                                             caller="phone:0a1b2c3d4e5f60718293a4b5c6d7e8f9"),
                                  domain)
        assert other[slots.OUTCOME]["booked"]
        # Staff in the staff chat book for many patients: not capped.
        staff, _ = await validate(confirming("600010", "+33612345610", "2026-12-02T11:00:00",
                                             caller="staff:accueil"), domain)
        assert staff[slots.OUTCOME]["booked"]
        with session_factory() as session:
            stored = session.scalars(select(Appointment.booked_by)).all()
        assert SCRIPT not in stored and None in stored  # keyed hashes only, staff unmarked
    finally:
        use_clinic_operations(None)


def test_the_day_is_the_last_24_hours(session_factory, clinic, fixed_now):
    now = {"at": fixed_now}
    operations = ClinicOperations(session_factory, clinic, clock=lambda: now["at"])
    start = paris("2026-11-30T09:00:00")
    for i in range(3):
        operations.book(PatientDetails(f"60000{i}", "Jean", "Martin", f"+3361234560{i}"),
                        start + timedelta(minutes=30 * i), "martin", caller_key=SCRIPT)
    with pytest.raises(TooManyBookingsToday):
        operations.book(PatientDetails("600003", "Jean", "Martin", "+33612345603"),
                        start + timedelta(hours=2), "martin", caller_key=SCRIPT)
    now["at"] = fixed_now + timedelta(hours=24, minutes=1)
    operations.book(PatientDetails("600003", "Jean", "Martin", "+33612345603"),
                    start + timedelta(hours=2), "martin", caller_key=SCRIPT)
