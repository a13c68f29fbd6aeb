"""Calendar flooding: a cap on upcoming appointments per patient and per phone number,
and an optional refusal of patient IDs the clinic has not registered.

On SQLite and PostgreSQL; the booking form runs as Rasa runs it (``tests/actions/tracker_builder.py``).
"""
from __future__ import annotations

import dataclasses
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import pytest
from sqlalchemy import func, select

from actions import slots
from actions.booking import ActionBookingDone, ValidateBookingForm
from clinic.operations import (
    ClinicOperations,
    PatientDetails,
    PatientNotRegistered,
    TooManyUpcoming,
)
from actions.clinic_service import use_clinic_operations
from actions.conversation_control import reset_form_events
from actions.identity_check import IDENTITY_NOT_FOUND
from clinic.models import STATUS_BOOKED, Appointment, Patient
from tests.actions.tracker_builder import (
    MARIE, make_tracker, new_dispatcher, paris, run_action,
    run_form_validation, slot_value, texts,
)

# Marie's husband shares her mobile number.
PAUL = PatientDetails("482914", "Paul", "Dupont", MARIE.phone_e164)
ANNE = PatientDetails("482915", "Anne", "Dupont", MARIE.phone_e164)
PATIENT_LIMIT = (
    "Vous avez déjà 2 rendez-vous à venir : c'est le maximum que je peux prendre par "
    "téléphone. Pour un autre rendez-vous, voulez-vous que je vous passe l'accueil ?"
)
PHONE_LIMIT = (
    "Ce numéro de téléphone a déjà 2 rendez-vous à venir : c'est le maximum que je peux "
    "prendre par téléphone. Pour un autre rendez-vous, voulez-vous que je vous passe l'accueil ?"
)


def with_security(clinic, **changes):
    return dataclasses.replace(clinic, security=dataclasses.replace(clinic.security, **changes))


def booked_count(session_factory) -> int:
    with session_factory() as session:
        return session.scalar(
            select(func.count()).select_from(Appointment).where(Appointment.status == STATUS_BOOKED)
        )


# ----------------------------------------------------------------------- the operations


def test_a_patient_may_hold_two_upcoming_appointments(operations, session_factory):
    operations.book(MARIE, paris("2026-11-26T10:30:00"), "martin")
    operations.book(MARIE, paris("2026-11-27T10:30:00"), "martin")

    with pytest.raises(TooManyUpcoming) as refused:
        operations.book(MARIE, paris("2026-11-30T10:30:00"), "martin")

    assert (refused.value.limit, refused.value.scope) == (2, "patient")
    assert str(refused.value) == "the patient already has 2 upcoming appointment(s), the limit"
    assert booked_count(session_factory) == 2


def test_cancelled_and_past_appointments_do_not_count(operations, session_factory):
    first = operations.book(MARIE, paris("2026-11-26T10:30:00"), "martin")
    operations.book(MARIE, paris("2026-11-27T10:30:00"), "martin")
    operations.cancel(first.id, MARIE.clinic_patient_id, MARIE.phone_e164)
    with session_factory() as session, session.begin():  # yesterday's visit
        patient = session.scalars(select(Patient)).one()
        session.add(Appointment(
            patient_id=patient.id, doctor_id="martin", status=STATUS_BOOKED,
            start_at=datetime(2026, 11, 24, 9, 0), end_at=datetime(2026, 11, 24, 9, 30),
        ))

    assert operations.book(MARIE, paris("2026-11-30T10:30:00"), "martin").status == STATUS_BOOKED


def test_one_phone_number_may_hold_two_upcoming_appointments(operations, session_factory):
    operations.book(MARIE, paris("2026-11-26T10:30:00"), "martin")
    operations.book(PAUL, paris("2026-11-26T11:00:00"), "martin")

    with pytest.raises(TooManyUpcoming) as refused:
        operations.book(ANNE, paris("2026-11-26T11:30:00"), "martin")

    assert (refused.value.limit, refused.value.scope) == (2, "phone")
    assert str(refused.value) == "the phone number already has 2 upcoming appointment(s), the limit"
    assert booked_count(session_factory) == 2
    # The refused booking left no new patient behind.
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(Patient)) == 2


def test_the_caps_come_from_clinic_yml(session_factory, clinic, fixed_now):
    ops = ClinicOperations(
        session_factory, with_security(clinic, max_upcoming_per_patient=3, max_upcoming_per_phone=3),
        clock=lambda: fixed_now,
    )
    for day in ("26", "27", "30"):
        ops.book(MARIE, paris(f"2026-11-{day}T10:30:00"), "martin")
    with pytest.raises(TooManyUpcoming) as refused:
        ops.book(MARIE, paris("2026-12-01T10:30:00"), "martin")
    assert refused.value.limit == 3


def test_check_before_booking_tells_the_same(operations):
    operations.book(MARIE, paris("2026-11-26T10:30:00"), "martin")
    operations.check_upcoming_limits(MARIE.clinic_patient_id, MARIE.phone_e164)  # one left
    operations.book(PAUL, paris("2026-11-27T10:30:00"), "martin")

    with pytest.raises(TooManyUpcoming) as refused:
        operations.check_upcoming_limits("999999", MARIE.phone_e164)
    assert refused.value.scope == "phone"


def test_only_registered_patients_may_book_when_configured(session_factory, clinic, fixed_now):
    open_ops = ClinicOperations(session_factory, clinic, clock=lambda: fixed_now)
    open_ops.book(MARIE, paris("2026-11-26T10:30:00"), "martin")  # registered beforehand
    closed = ClinicOperations(
        session_factory, with_security(clinic, registered_patients_only=True), clock=lambda: fixed_now
    )

    with pytest.raises(PatientNotRegistered) as refused:
        closed.book(PatientDetails("777777", "Eve", "Martin", "+33611111111"),
                    paris("2026-11-27T10:30:00"), "martin")

    assert str(refused.value) == "this patient ID is not registered at the clinic"
    assert closed.book(MARIE, paris("2026-11-27T10:30:00"), "martin").status == STATUS_BOOKED
    with session_factory() as session:
        assert session.scalars(select(Patient.clinic_patient_id)).all() == [MARIE.clinic_patient_id]


TIMES = ("10:00", "10:30", "11:00", "11:30", "12:00", "14:00")


@pytest.mark.parametrize("scope", ["patient", "phone"])
def test_simultaneous_bookings_cannot_pass_the_cap(operations, session_factory, scope):
    operations.book(MARIE, paris("2026-12-02T09:00:00"), "martin")
    attempts = 6
    barrier = threading.Barrier(attempts)

    def attempt(i: int) -> str:
        patient = MARIE if scope == "patient" else dataclasses.replace(
            MARIE, clinic_patient_id=f"{600000 + i}", first_name=f"Enfant{'e' * i}"
        )
        barrier.wait()
        try:
            operations.book(patient, paris(f"2026-12-02T{TIMES[i]}:00"), "martin")
            return "booked"
        except TooManyUpcoming:
            return "refused"

    with ThreadPoolExecutor(max_workers=attempts) as pool:
        outcomes = list(pool.map(attempt, range(attempts)))

    assert sorted(outcomes) == ["booked"] + ["refused"] * (attempts - 1)
    assert booked_count(session_factory) == 2


# ----------------------------------------------------------------------- the booking form


IDENTITY = {
    slots.LAST_NAME: "Dupont",
    slots.FIRST_NAME: "Marie",
    slots.PATIENT_ID: "482913",
    slots.PHONE_NUMBER: "+33612345678",
}
MONDAY_0900 = slot_value("2026-11-30T09:00:00", "martin")


async def validate(tracker, domain):
    dispatcher = new_dispatcher()
    result = await run_form_validation(ValidateBookingForm(), tracker, dispatcher, domain)
    return result, texts(dispatcher)


def confirming(identity=IDENTITY):
    return make_tracker(
        slots={**identity, slots.BOOKING_TIME: MONDAY_0900["start"], slots.CHOSEN_SLOT: MONDAY_0900},
        text="oui", intent="affirm", active_loop=slots.BOOKING_FORM,
        requested_slot=slots.BOOKING_CONFIRMED, filled={slots.BOOKING_CONFIRMED: True},
    )


def giving_phone(identity=IDENTITY, said="06 12 34 56 78"):
    known = {k: v for k, v in identity.items() if k != slots.PHONE_NUMBER}
    return make_tracker(
        slots=known, text=said, active_loop=slots.BOOKING_FORM,
        requested_slot=slots.PHONE_NUMBER, filled={slots.PHONE_NUMBER: said},
    )


@pytest.mark.asyncio
async def test_confirming_a_third_appointment_is_explained_and_ends_the_form(
    domain, operations, session_factory
):
    operations.book(MARIE, paris("2026-11-26T10:30:00"), "martin")
    operations.book(MARIE, paris("2026-11-27T10:30:00"), "martin")

    result, said_back = await validate(confirming(), domain)

    assert said_back == [PATIENT_LIMIT]
    assert result == {
        slots.BOOKING_CONFIRMED: True,
        slots.OUTCOME: {"refused": "upcoming_limit"},
        slots.REQUESTED_SLOT: None,
    }
    assert booked_count(session_factory) == 2

    # The form is over: no read-back again, the offer of the reception stands.
    dispatcher = new_dispatcher()
    done = make_tracker(slots={**IDENTITY, **result})
    events = await run_action(ActionBookingDone(), done, dispatcher, domain)
    assert texts(dispatcher) == []
    assert events == reset_form_events() + [
        {"event": "slot", "timestamp": None, "name": slots.HANDOFF_OFFERED, "value": True}
    ]


@pytest.mark.asyncio
async def test_a_shared_phone_at_its_cap_is_explained(domain, operations, session_factory):
    operations.book(PAUL, paris("2026-11-26T10:30:00"), "martin")
    operations.book(ANNE, paris("2026-11-27T10:30:00"), "martin")

    result, said_back = await validate(confirming(), domain)

    assert said_back == [PHONE_LIMIT]
    assert result[slots.OUTCOME] == {"refused": "upcoming_limit"}
    with session_factory() as session:  # Marie was not created
        assert MARIE.clinic_patient_id not in session.scalars(select(Patient.clinic_patient_id)).all()


@pytest.mark.asyncio
async def test_the_cap_is_said_as_soon_as_the_identity_is_known(domain, operations):
    operations.book(MARIE, paris("2026-11-26T10:30:00"), "martin")
    operations.book(MARIE, paris("2026-11-27T10:30:00"), "martin")

    result, said_back = await validate(giving_phone(), domain)

    # No time is asked for a booking that could not be made.
    assert said_back == [PATIENT_LIMIT]
    assert result == {
        slots.PHONE_NUMBER: "+33612345678",
        slots.VALIDATION_FAILURES: {},
        slots.OUTCOME: {"refused": "upcoming_limit"},
        slots.REQUESTED_SLOT: None,
    }


@pytest.mark.asyncio
async def test_below_the_cap_the_form_goes_on(domain, operations):
    operations.book(MARIE, paris("2026-11-26T10:30:00"), "martin")

    result, said_back = await validate(giving_phone(), domain)

    assert said_back == []
    assert result[slots.REQUESTED_SLOT] == slots.BOOKING_TIME


@pytest.mark.asyncio
async def test_unregistered_id_at_confirmation_gets_the_mismatch_answer(
    domain, session_factory, clinic, fixed_now
):
    ops = ClinicOperations(
        session_factory, with_security(clinic, registered_patients_only=True), clock=lambda: fixed_now
    )
    use_clinic_operations(ops)
    try:
        result, said_back = await validate(confirming(), domain)
    finally:
        use_clinic_operations(None)

    assert said_back == [IDENTITY_NOT_FOUND]
    assert result[slots.PATIENT_ID] is None and result[slots.PHONE_NUMBER] is None
    assert result[slots.BOOKING_CONFIRMED] is None
    with session_factory() as session:
        assert session.scalars(select(Patient)).all() == []
    assert ops.identity_failures(MARIE.clinic_patient_id, "test-caller").patient == 1
