"""The booking form's read-back, confirmation, corrections and its end.

Each test builds the tracker the action server receives for one caller's answer
(see ``tests/actions/booking_form_trackers.py``) and checks the exact slot events returned and
the exact French sentences the caller hears, on SQLite and PostgreSQL.
"""
from __future__ import annotations

import pytest

from actions import slots
from actions.booking import (
    ActionAskBookingConfirmed,
    ActionBookingDone,
)
from actions.conversation_control import reset_form_events
from clinic.models import STATUS_BOOKED, Appointment, Patient
from tests.actions.booking_form_trackers import (
    CHOSEN, IDENTITY, THURSDAY_1030, ask_time, booking_tracker, confirm_tracker, rows, validate,
)
from tests.actions.tracker_builder import (
    BOB, MARIE, make_tracker, new_dispatcher, paris, run_action,
    slot_value, texts,
)


# ----------------------------------------------------------------------- read-back and booking


@pytest.mark.asyncio
async def test_read_back(domain, operations):
    dispatcher = new_dispatcher()
    tracker = booking_tracker(slots.BOOKING_CONFIRMED, slots_now=CHOSEN)

    assert await run_action(ActionAskBookingConfirmed(), tracker, dispatcher, domain) == []

    assert texts(dispatcher) == [
        "Je récapitule : rendez-vous pour Marie Dupont, dossier 4 8 2 9 1 3, "
        "téléphone 06 12 34 56 78, le jeudi 26 novembre à 10 heures 30, "
        "avec la docteure Martin. Je confirme ?"
    ]


@pytest.mark.asyncio
async def test_confirm_books_the_appointment(domain, operations, session_factory):
    result, said_back = await validate(confirm_tracker(True), domain)

    [row] = rows(session_factory, Appointment)
    assert result == {
        slots.BOOKING_CONFIRMED: True,
        slots.OUTCOME: {"booked": row.id, **THURSDAY_1030},
        slots.REQUESTED_SLOT: None,
    }
    assert said_back == []
    [patient] = rows(session_factory, Patient)
    assert (patient.clinic_patient_id, patient.first_name, patient.last_name, patient.phone_e164) == (
        "482913", "Marie", "Dupont", "+33612345678",
    )
    assert (row.patient_id, row.doctor_id, row.status) == (patient.id, "martin", STATUS_BOOKED)
    assert operations.upcoming_appointments("482913", "+33612345678")[0].start == paris(
        "2026-11-26T10:30:00"
    )


@pytest.mark.asyncio
async def test_confirm_when_the_slot_was_just_taken_offers_again(domain, operations, session_factory):
    # Tuesday morning only the docteure Martin works.
    chosen = slot_value("2026-12-01T10:00:00", "martin")
    operations.book(BOB, paris("2026-12-01T10:00:00"), "martin")
    tracker = confirm_tracker(
        True, {**IDENTITY, slots.BOOKING_TIME: chosen["start"], slots.CHOSEN_SLOT: chosen}
    )

    result, said_back = await validate(tracker, domain)

    offers = [
        slot_value("2026-12-01T09:00:00", "martin"),
        slot_value("2026-12-01T09:30:00", "martin"),
        slot_value("2026-12-01T10:30:00", "martin"),
    ]
    assert result == {
        slots.BOOKING_CONFIRMED: None,
        slots.BOOKING_TIME: None,
        slots.CHOSEN_SLOT: None,
        slots.OFFERED_SLOTS: offers,
        slots.REQUESTED_SLOT: slots.BOOKING_TIME,
    }
    assert said_back == ["Ce créneau vient d'être pris."]
    assert len(rows(session_factory, Appointment)) == 1
    assert [p.clinic_patient_id for p in rows(session_factory, Patient)] == [BOB.clinic_patient_id]
    assert await ask_time({slots.OFFERED_SLOTS: offers}, domain) == [
        "Je peux vous proposer mardi 1er décembre à 9 heures, à 9 heures 30 ou à 10 heures 30. "
        "Lequel préférez-vous ?"
    ]


@pytest.mark.asyncio
async def test_confirm_books_the_doctor_read_back_or_offers_again(domain, operations, session_factory):
    operations.book(BOB, paris("2026-11-26T10:30:00"), "martin")

    result, said_back = await validate(confirm_tracker(True), domain)

    assert said_back == ["Ce créneau vient d'être pris."]
    assert result[slots.BOOKING_CONFIRMED] is None
    assert [row.doctor_id for row in rows(session_factory, Appointment)] == ["martin"]


@pytest.mark.asyncio
async def test_confirm_for_a_time_already_booked_by_the_caller(domain, operations, session_factory):
    operations.book(MARIE, paris("2026-11-26T10:30:00"), "dubois")

    result, said_back = await validate(confirm_tracker(True), domain)

    assert said_back == ["Vous avez déjà un rendez-vous à ce moment-là."]
    assert result[slots.BOOKING_CONFIRMED] is None
    assert result[slots.CHOSEN_SLOT] is None
    assert result[slots.REQUESTED_SLOT] == slots.BOOKING_TIME
    assert len(rows(session_factory, Appointment)) == 1


@pytest.mark.asyncio
async def test_deny_asks_what_to_correct(domain, operations, session_factory):
    result, said_back = await validate(confirm_tracker(False), domain)

    # With the correction pending the required slots are the domain's, so rasa_sdk
    # leaves the next question to Rasa's FormAction: the first empty one of the
    # domain's list, booking_correction.
    assert result == {slots.BOOKING_CONFIRMED: None, slots.CORRECTION_PENDING: True}
    assert said_back == []
    assert rows(session_factory, Appointment) == []
    assert domain["responses"]["utter_ask_booking_correction"] == [
        {"text": "Que faut-il corriger : le nom, le prénom, le numéro de dossier, "
                 "le téléphone, la date, ou le médecin ?"}
    ]


def correction_tracker(said, entities=(), filled=None):
    return booking_tracker(
        slots.BOOKING_CORRECTION, said, entities=list(entities),
        filled={**(filled or {}), slots.BOOKING_CORRECTION: said},
        slots_now={**CHOSEN, slots.CORRECTION_PENDING: True},
    )


@pytest.mark.asyncio
async def test_correcting_the_date_clears_the_time(domain, operations):
    result, said_back = await validate(correction_tracker("la date"), domain)

    assert result == {
        slots.BOOKING_CORRECTION: None,
        slots.CORRECTION_PENDING: False,
        slots.BOOKING_CONFIRMED: None,
        slots.BOOKING_TIME: None,
        slots.CHOSEN_SLOT: None,
        slots.OFFERED_SLOTS: [],
        slots.REQUESTED_SLOT: slots.BOOKING_TIME,
    }
    assert said_back == []


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "said, field",
    [("le prénom", slots.FIRST_NAME), ("mon nom", slots.LAST_NAME),
     ("le numéro de dossier", slots.PATIENT_ID), ("le téléphone", slots.PHONE_NUMBER)],
)
async def test_correcting_a_field_clears_it(domain, operations, said, field):
    result, said_back = await validate(correction_tracker(said), domain)

    assert result == {
        slots.BOOKING_CORRECTION: None,
        slots.CORRECTION_PENDING: False,
        slots.BOOKING_CONFIRMED: None,
        field: None,
        slots.REQUESTED_SLOT: field,
    }
    assert said_back == []


@pytest.mark.asyncio
async def test_correction_with_the_new_value_keeps_it(domain, operations):
    said = "mon prénom c'est Marion"
    entity = {"entity": "first_name", "start": 18, "end": 24, "value": "Marion",
              "extractor": "DIETClassifier"}
    tracker = correction_tracker(said, [entity], filled={slots.FIRST_NAME: "Marion"})

    result, said_back = await validate(tracker, domain)

    assert result == {
        slots.FIRST_NAME: "Marion",
        slots.VALIDATION_FAILURES: {},
        slots.BOOKING_CORRECTION: None,
        slots.CORRECTION_PENDING: False,
        slots.BOOKING_CONFIRMED: None,
        slots.REQUESTED_SLOT: slots.BOOKING_CONFIRMED,
    }
    assert said_back == []


@pytest.mark.asyncio
async def test_unclear_correction_is_explained(domain, operations):
    result, said_back = await validate(correction_tracker("euh je sais pas"), domain)

    assert result == {  # Rasa's FormAction asks booking_correction again (see above)
        slots.BOOKING_CORRECTION: None,
        slots.VALIDATION_FAILURES: {slots.BOOKING_CORRECTION: 1},
    }
    assert said_back == ["Je n'ai pas compris ce qu'il faut corriger."]


# ----------------------------------------------------------------------- the end


@pytest.mark.asyncio
async def test_booking_done_says_the_appointment_and_resets(domain, operations):
    dispatcher = new_dispatcher()
    tracker = make_tracker(
        slots={**CHOSEN, slots.BOOKING_CONFIRMED: True,
               slots.OUTCOME: {"booked": 7, **THURSDAY_1030}},
    )

    events = await run_action(ActionBookingDone(), tracker, dispatcher, domain)

    assert texts(dispatcher) == [
        "C'est noté. Votre rendez-vous est le jeudi 26 novembre à 10 heures 30, "
        "avec la docteure Martin. Puis-je faire autre chose pour vous ?"
    ]
    assert events == reset_form_events()
    assert {e["name"]: e["value"] for e in events} == {
        **{name: None for name in slots.FORM_SLOTS}, slots.OUTCOME: None,
    }
    assert slots.HANDOFF_OFFERED not in {e["name"] for e in events}


@pytest.mark.asyncio
async def test_booking_done_without_a_booking(domain, operations):
    dispatcher = new_dispatcher()

    events = await run_action(ActionBookingDone(), make_tracker(), dispatcher, domain)

    assert texts(dispatcher) == ["utter_anything_else"]
    assert events == reset_form_events()
