"""Moving and cancelling: identity, choice of appointment, new time, confirmation.

The forms' validation actions run as Rasa runs them (see ``tests/actions/tracker_builder.py``),
on SQLite and PostgreSQL; the exact slot events and French sentences are checked.
"""
from __future__ import annotations

from datetime import datetime

from unittest.mock import ANY

import pytest
from rasa_sdk.events import SlotSet
from sqlalchemy import select

from actions import slots
from actions.appointment_lookup import ActionAskAppointmentId
from actions.ask_limit import ActionAskPatientId
from actions.cancellation import ActionAskCancelConfirmed, ActionCancelDone, ValidateCancelForm
from actions.conversation_control import reset_form_events
from actions.identity_check import IDENTITY_NOT_FOUND
from clinic.models import STATUS_BOOKED, STATUS_CANCELLED, Appointment
from actions.rescheduling import (
    ActionAskNewTime,
    ActionAskRescheduleConfirmed,
    ActionRescheduleDone,
    ValidateRescheduleForm,
)
from tests.actions.tracker_builder import (
    BOB, MARIE, make_tracker, new_dispatcher, paris, run_action,
    run_form_validation, slot_value, texts, time_entity,
)

FORMS = {
    slots.RESCHEDULE_FORM: ValidateRescheduleForm,
    slots.CANCEL_FORM: ValidateCancelForm,
}
both_forms = pytest.mark.parametrize("form", [slots.RESCHEDULE_FORM, slots.CANCEL_FORM])


def form_tracker(form, requested_slot, text="", filled=None, slots_now=None, **kwargs):
    return make_tracker(
        slots=slots_now, text=text, active_loop=form, requested_slot=requested_slot,
        filled=filled, **kwargs,
    )


async def validate(form, tracker, domain):
    dispatcher = new_dispatcher()
    result = await run_form_validation(FORMS[form](), tracker, dispatcher, domain)
    return result, texts(dispatcher)


def phone_answer(form, said="zéro six douze trente-quatre cinquante-six soixante-dix-huit",
                 patient_id="482913"):
    """The caller gives the phone number after the patient ID."""
    return form_tracker(
        form, slots.PHONE_NUMBER, said, filled={slots.PHONE_NUMBER: said},
        slots_now={slots.PATIENT_ID: patient_id},
    )


def value_of(appointment):
    return {
        "id": appointment.id,
        "start": appointment.start.isoformat(),
        "doctor_id": appointment.doctor_id,
    }


def rows(session_factory):
    with session_factory() as session:
        return session.scalars(select(Appointment).order_by(Appointment.id)).all()


# ----------------------------------------------------------------------- identity


@pytest.mark.asyncio
@both_forms
@pytest.mark.parametrize(
    "patient_id, phone",
    [("482913", "06 99 88 77 66"), ("482913", "06 98 76 54 32"), ("777777", "06 12 34 56 78")],
    ids=["wrong phone", "another patient's phone", "unknown ID"],
)
async def test_wrong_identity_reveals_nothing(domain, operations, form, patient_id, phone):
    operations.book(MARIE, paris("2026-11-26T10:30:00"), "martin")
    operations.book(BOB, paris("2026-11-27T09:00:00"), "martin")

    result, said_back = await validate(form, phone_answer(form, phone, patient_id), domain)

    # The form asks the patient ID again: the required slots are the domain's, so
    # Rasa's FormAction picks it (rasa_sdk sets requested_slot only when they differ).
    assert result == {
        slots.PATIENT_ID: None,
        slots.PHONE_NUMBER: None,
        slots.VALIDATION_FAILURES: {slots.PATIENT_ID: 1},
    }
    assert said_back == [IDENTITY_NOT_FOUND]
    assert said_back == [
        "Je ne retrouve pas de dossier avec ce numéro de dossier et ce téléphone. Reprenons."
    ]


@pytest.mark.asyncio
@both_forms
async def test_third_identity_failure_offers_the_keypad_or_a_person(domain, operations, form):
    operations.book(MARIE, paris("2026-11-26T10:30:00"), "martin")
    tracker = form_tracker(
        form, slots.PHONE_NUMBER, "06 99 88 77 66", filled={slots.PHONE_NUMBER: "06 99 88 77 66"},
        slots_now={slots.PATIENT_ID: "482913", slots.VALIDATION_FAILURES: {slots.PATIENT_ID: 2}},
    )

    result, said_back = await validate(form, tracker, domain)

    assert result[slots.VALIDATION_FAILURES] == {slots.PATIENT_ID: 3}
    assert said_back == [IDENTITY_NOT_FOUND]
    # The patient ID is not asked a fourth time: the keypad, the reception or stop.
    dispatcher = new_dispatcher()
    asking = form_tracker(
        form, slots.PATIENT_ID, slots_now={slots.VALIDATION_FAILURES: {slots.PATIENT_ID: 3}}
    )
    await run_action(ActionAskPatientId(), asking, dispatcher, domain)
    assert texts(dispatcher) == [
        "Vous pouvez taper votre numéro sur le clavier, dire « accueil » et je vous passe "
        "l'accueil du cabinet, ou « stop » pour arrêter."
    ]


@pytest.mark.asyncio
@both_forms
async def test_fourth_identity_failure_ends_the_form_with_the_offer(domain, operations, form):
    operations.book(MARIE, paris("2026-11-26T10:30:00"), "martin")
    tracker = form_tracker(
        form, slots.PHONE_NUMBER, "06 99 88 77 66", filled={slots.PHONE_NUMBER: "06 99 88 77 66"},
        slots_now={slots.PATIENT_ID: "482913", slots.VALIDATION_FAILURES: {slots.PATIENT_ID: 3}},
    )

    result, said_back = await validate(form, tracker, domain)

    assert result[slots.REQUESTED_SLOT] is None
    assert result[slots.OUTCOME] == {"gave_up": slots.PATIENT_ID}
    assert said_back == [
        "Je ne retrouve pas de dossier avec ce numéro de dossier et ce téléphone. Reprenons. "
        "Dites « accueil » et je vous passe l'accueil du cabinet, ou « stop » pour arrêter."
    ]
    done = ActionRescheduleDone() if form == slots.RESCHEDULE_FORM else ActionCancelDone()
    dispatcher = new_dispatcher()
    events = await run_action(done, form_tracker(form, None, slots_now=result), dispatcher, domain)
    assert texts(dispatcher) == []
    assert events[-1] == SlotSet(slots.HANDOFF_OFFERED, True)


@pytest.mark.asyncio
@both_forms
async def test_one_upcoming_appointment_is_chosen_and_described(domain, operations, form):
    only = operations.book(MARIE, paris("2026-11-26T10:30:00"), "martin")
    gone = operations.book(MARIE, paris("2026-11-27T10:30:00"), "martin")
    operations.cancel(gone.id, "482913", "+33612345678")
    operations.book(BOB, paris("2026-11-30T09:00:00"), "martin")

    result, said_back = await validate(form, phone_answer(form), domain)

    assert result == {
        slots.PHONE_NUMBER: "+33612345678",
        slots.VALIDATION_FAILURES: {},
        slots.IDENTITY_VERIFIED: True,
        slots.UPCOMING_APPOINTMENTS: [
            {"id": only.id, "start": "2026-11-26T10:30:00+01:00", "doctor_id": "martin"}
        ],
        slots.APPOINTMENT_ID: str(only.id),
    }
    assert said_back == [
        "Merci. Votre rendez-vous est le jeudi 26 novembre à 10 heures 30, avec la docteure Martin."
    ]


@pytest.mark.asyncio
@both_forms
async def test_no_upcoming_appointment_ends_the_form(domain, operations, form):
    gone = operations.book(MARIE, paris("2026-11-26T10:30:00"), "martin")
    operations.cancel(gone.id, "482913", "+33612345678")

    result, said_back = await validate(form, phone_answer(form), domain)

    assert result == {
        slots.PHONE_NUMBER: "+33612345678",
        slots.VALIDATION_FAILURES: {},
        slots.IDENTITY_VERIFIED: True,
        slots.UPCOMING_APPOINTMENTS: [],
        slots.REQUESTED_SLOT: None,
    }
    assert said_back == ["Merci. Je ne trouve aucun rendez-vous à venir à votre nom."]


@pytest.mark.asyncio
@both_forms
async def test_id_and_phone_in_one_message(domain, operations, form):
    only = operations.book(MARIE, paris("2026-11-26T10:30:00"), "martin")
    said = "dossier 482913, téléphone 06 12 34 56 78"
    tracker = form_tracker(
        form, slots.PATIENT_ID, said,
        filled={slots.PATIENT_ID: "482913", slots.PHONE_NUMBER: "06 12 34 56 78"},
    )

    result, said_back = await validate(form, tracker, domain)

    assert said_back[0] != IDENTITY_NOT_FOUND
    assert result[slots.APPOINTMENT_ID] == str(only.id)


# ----------------------------------------------------------------------- choice of appointment


async def several(operations):
    first = operations.book(MARIE, paris("2026-11-26T10:30:00"), "martin")
    second = operations.book(MARIE, paris("2026-11-27T14:00:00"), "dubois")
    return first, second


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "form, verb", [(slots.RESCHEDULE_FORM, "déplacer"), (slots.CANCEL_FORM, "annuler")]
)
async def test_several_appointments_are_listed_and_the_second_picked(
    domain, operations, form, verb
):
    first, second = await several(operations)

    result, said_back = await validate(form, phone_answer(form), domain)

    upcoming = [value_of(first), value_of(second)]
    assert result == {
        slots.PHONE_NUMBER: "+33612345678",
        slots.VALIDATION_FAILURES: {},
        slots.IDENTITY_VERIFIED: True,
        slots.UPCOMING_APPOINTMENTS: upcoming,
    }
    assert said_back == []

    dispatcher = new_dispatcher()
    known = {
        slots.PATIENT_ID: "482913",
        slots.PHONE_NUMBER: "+33612345678",
        slots.IDENTITY_VERIFIED: True,
        slots.UPCOMING_APPOINTMENTS: upcoming,
    }
    asking = form_tracker(form, slots.APPOINTMENT_ID, slots_now=known)
    assert await run_action(ActionAskAppointmentId(), asking, dispatcher, domain) == []
    assert texts(dispatcher) == [
        "Vous avez 2 rendez-vous à venir : "
        "le premier, le jeudi 26 novembre à 10 heures 30, avec la docteure Martin "
        "et le deuxième, le vendredi 27 novembre à 14 heures, avec le docteur Dubois. "
        f"Lequel voulez-vous {verb} ?"
    ]

    picking = form_tracker(
        form, slots.APPOINTMENT_ID, "le deuxième",
        filled={slots.APPOINTMENT_ID: "le deuxième"}, slots_now=known,
    )
    result, said_back = await validate(form, picking, domain)

    assert result == {slots.APPOINTMENT_ID: str(second.id), slots.VALIDATION_FAILURES: {}}
    assert said_back == []


@pytest.mark.asyncio
async def test_appointment_picked_by_its_day(domain, operations):
    first, second = await several(operations)
    known = {
        slots.PATIENT_ID: "482913",
        slots.PHONE_NUMBER: "+33612345678",
        slots.IDENTITY_VERIFIED: True,
        slots.UPCOMING_APPOINTMENTS: [value_of(first), value_of(second)],
    }
    entity = time_entity("celui de vendredi", "2026-11-27T00:00:00.000+01:00", grain="day")
    picking = form_tracker(
        slots.CANCEL_FORM, slots.APPOINTMENT_ID, "celui de vendredi", entities=[entity],
        filled={slots.APPOINTMENT_ID: "celui de vendredi"}, slots_now=known,
    )

    result, said_back = await validate(slots.CANCEL_FORM, picking, domain)

    assert result == {slots.APPOINTMENT_ID: str(second.id), slots.VALIDATION_FAILURES: {}}
    assert said_back == []


@pytest.mark.asyncio
async def test_unclear_choice_of_appointment(domain, operations):
    first, second = await several(operations)
    known = {
        slots.PATIENT_ID: "482913",
        slots.PHONE_NUMBER: "+33612345678",
        slots.IDENTITY_VERIFIED: True,
        slots.UPCOMING_APPOINTMENTS: [value_of(first), value_of(second)],
    }
    picking = form_tracker(
        slots.RESCHEDULE_FORM, slots.APPOINTMENT_ID, "le premier ou le deuxième",
        filled={slots.APPOINTMENT_ID: "le premier ou le deuxième"}, slots_now=known,
    )

    result, said_back = await validate(slots.RESCHEDULE_FORM, picking, domain)

    assert result == {
        slots.APPOINTMENT_ID: None,
        slots.VALIDATION_FAILURES: {slots.APPOINTMENT_ID: 1},
    }
    assert said_back == ["Je n'ai pas compris lequel. Dites par exemple : le premier."]


# ----------------------------------------------------------------------- moving


async def chosen_for_move(operations):
    """Marie moves her Friday 14:00 appointment with the docteur Dubois."""
    first, second = await several(operations)
    return second, {
        slots.PATIENT_ID: "482913",
        slots.PHONE_NUMBER: "+33612345678",
        slots.IDENTITY_VERIFIED: True,
        slots.UPCOMING_APPOINTMENTS: [value_of(first), value_of(second)],
        slots.APPOINTMENT_ID: str(second.id),
    }


@pytest.mark.asyncio
async def test_ask_new_time(domain, operations):
    _, known = await chosen_for_move(operations)
    dispatcher = new_dispatcher()

    tracker = form_tracker(slots.RESCHEDULE_FORM, slots.NEW_TIME, slots_now=known)
    assert await run_action(ActionAskNewTime(), tracker, dispatcher, domain) == []

    assert texts(dispatcher) == ["À quelle date et à quelle heure souhaitez-vous le déplacer ?"]


@pytest.mark.asyncio
async def test_new_time_keeps_the_same_doctor(domain, operations):
    appointment, known = await chosen_for_move(operations)
    # Thursday 9:00: the docteure Martin (first in clinic.yml) is free too.
    entity = time_entity("jeudi à 9h", "2026-11-26T09:00:00.000+01:00", grain="hour")
    tracker = form_tracker(
        slots.RESCHEDULE_FORM, slots.NEW_TIME, "jeudi à 9h", entities=[entity],
        filled={slots.NEW_TIME: entity["value"]}, slots_now=known,
    )

    result, said_back = await validate(slots.RESCHEDULE_FORM, tracker, domain)

    assert result == {
        slots.TIME_WISHES: ANY,  # every wish so far (tests/actions/test_time_wishes.py)
        slots.NEW_TIME: "2026-11-26T09:00:00+01:00",
        slots.CHOSEN_SLOT: slot_value("2026-11-26T09:00:00", "dubois"),
        slots.OFFERED_SLOTS: [],
        slots.VALIDATION_FAILURES: {},
    }
    assert said_back == []


def same_time_answer(known):
    entity = time_entity("vendredi à 14h", "2026-11-27T14:00:00.000+01:00", grain="hour")
    return form_tracker(
        slots.RESCHEDULE_FORM, slots.NEW_TIME, "vendredi à 14h", entities=[entity],
        filled={slots.NEW_TIME: entity["value"]}, slots_now=known,
    )


@pytest.mark.asyncio
async def test_new_time_equal_to_the_current_one(domain, operations):
    appointment, known = await chosen_for_move(operations)

    result, said_back = await validate(slots.RESCHEDULE_FORM, same_time_answer(known), domain)

    assert said_back == ["Votre rendez-vous est déjà à cette heure-là."]
    offers = result.pop(slots.OFFERED_SLOTS)
    assert result == {
        slots.TIME_WISHES: ANY,  # every wish so far (tests/actions/test_time_wishes.py)
        slots.NEW_TIME: None, slots.CHOSEN_SLOT: None,
        slots.VALIDATION_FAILURES: {slots.NEW_TIME: 1},
    }
    assert len(offers) == 3
    assert {o["doctor_id"] for o in offers} == {"dubois"}
    assert appointment.start.isoformat() not in {o["start"] for o in offers}


@pytest.mark.asyncio
async def test_new_time_equal_to_the_current_one_offers_the_three_nearest(domain, operations):
    appointment, known = await chosen_for_move(operations)

    result, _ = await validate(slots.RESCHEDULE_FORM, same_time_answer(known), domain)

    assert result[slots.OFFERED_SLOTS] == [
        slot_value("2026-11-27T14:30:00", "dubois"),
        slot_value("2026-11-27T15:00:00", "dubois"),
        slot_value("2026-11-27T15:30:00", "dubois"),
    ]


@pytest.mark.asyncio
async def test_new_time_taken_offers_the_doctor_s_nearest(domain, operations, duckling):
    appointment, known = await chosen_for_move(operations)
    operations.book(BOB, paris("2026-11-26T09:00:00"), "dubois")
    tracker = form_tracker(
        slots.RESCHEDULE_FORM, slots.NEW_TIME, "jeudi à 9h",  # Duckling reads it
        filled={slots.NEW_TIME: "jeudi à 9h"}, slots_now=known,
    )

    result, said_back = await validate(slots.RESCHEDULE_FORM, tracker, domain)

    offers = [
        slot_value("2026-11-26T08:30:00", "dubois"),
        slot_value("2026-11-26T09:30:00", "dubois"),
        slot_value("2026-11-26T10:00:00", "dubois"),
    ]
    assert result == {
        slots.TIME_WISHES: ANY,  # every wish so far (tests/actions/test_time_wishes.py)
        slots.NEW_TIME: None, slots.CHOSEN_SLOT: None, slots.OFFERED_SLOTS: offers,
        slots.VALIDATION_FAILURES: {slots.NEW_TIME: 1},
    }
    assert said_back == ["Ce créneau est déjà pris."]

    dispatcher = new_dispatcher()
    asking = form_tracker(
        slots.RESCHEDULE_FORM, slots.NEW_TIME, slots_now={**known, slots.OFFERED_SLOTS: offers}
    )
    await run_action(ActionAskNewTime(), asking, dispatcher, domain)
    assert texts(dispatcher) == [
        "Je peux vous proposer jeudi 26 novembre à 8 heures 30, à 9 heures 30 ou à 10 heures. "
        "Lequel préférez-vous ?"
    ]


def moving(known, answer: bool):
    return form_tracker(
        slots.RESCHEDULE_FORM, slots.RESCHEDULE_CONFIRMED, "oui" if answer else "non",
        intent="affirm" if answer else "deny",
        filled={slots.RESCHEDULE_CONFIRMED: answer},
        slots_now={
            **known,
            slots.NEW_TIME: "2026-11-26T09:00:00+01:00",
            slots.CHOSEN_SLOT: slot_value("2026-11-26T09:00:00", "dubois"),
        },
    )


READ_BACKS = {
    slots.RESCHEDULE_FORM: (
        "Je récapitule : votre rendez-vous du vendredi 27 novembre à 14 heures, avec le docteur "
        "Dubois, est déplacé au jeudi 26 novembre à 9 heures, avec le docteur Dubois. Je confirme ?"
    ),
    slots.CANCEL_FORM: (
        "Vous souhaitez annuler le rendez-vous du jeudi 26 novembre à 10 heures 30, "
        "avec la docteure Martin. Je confirme l'annulation ?"
    ),
}


@pytest.mark.asyncio
@both_forms
async def test_the_read_back_names_the_appointment(domain, operations, form):
    moves = form == slots.RESCHEDULE_FORM
    _, known = await (chosen_for_move if moves else chosen_for_cancel)(operations)
    asked = moving(known, True) if moves else cancelling(known, True)
    ask = ActionAskRescheduleConfirmed() if moves else ActionAskCancelConfirmed()
    dispatcher = new_dispatcher()

    await run_action(ask, asked, dispatcher, domain)

    assert texts(dispatcher) == [READ_BACKS[form]]


@pytest.mark.asyncio
async def test_move_confirmed_moves_the_row(domain, operations, session_factory):
    appointment, known = await chosen_for_move(operations)

    result, said_back = await validate(slots.RESCHEDULE_FORM, moving(known, True), domain)

    assert result == {
        slots.RESCHEDULE_CONFIRMED: True,
        slots.OUTCOME: {
            "moved": appointment.id,
            "start": "2026-11-26T09:00:00+01:00",
            "doctor_id": "dubois",
        },
    }
    assert said_back == []
    moved = {row.id: row for row in rows(session_factory)}[appointment.id]
    assert (moved.doctor_id, moved.start_at, moved.status) == (
        "dubois", datetime(2026, 11, 26, 8, 0), STATUS_BOOKED,  # naive UTC
    )
    assert len(rows(session_factory)) == 2
    assert [a.start for a in operations.upcoming_appointments("482913", "+33612345678")] == [
        paris("2026-11-26T09:00:00"), paris("2026-11-26T10:30:00"),
    ]

    dispatcher = new_dispatcher()
    done = form_tracker(None, None, slots_now={**known, slots.OUTCOME: result[slots.OUTCOME]})
    events = await run_action(ActionRescheduleDone(), done, dispatcher, domain)
    assert texts(dispatcher) == [
        "C'est fait. Votre rendez-vous est maintenant le jeudi 26 novembre à 9 heures, "
        "avec le docteur Dubois. Puis-je faire autre chose pour vous ?"
    ]
    assert events == reset_form_events()


@pytest.mark.asyncio
async def test_move_confirmed_when_the_slot_was_just_taken(domain, operations, session_factory):
    appointment, known = await chosen_for_move(operations)
    operations.book(BOB, paris("2026-11-26T09:00:00"), "dubois")

    result, said_back = await validate(slots.RESCHEDULE_FORM, moving(known, True), domain)

    # The three free slots of the same doctor nearest to the lost one are offered.
    assert result == {
        slots.RESCHEDULE_CONFIRMED: None,
        slots.NEW_TIME: None,
        slots.CHOSEN_SLOT: None,
        slots.OFFERED_SLOTS: [
            {"start": f"2026-11-26T{start}:00+01:00", "end": f"2026-11-26T{end}:00+01:00", "doctor_id": "dubois"}
            for start, end in (("08:30", "09:00"), ("09:30", "10:00"), ("10:00", "10:30"))
        ],
    }
    assert said_back == ["Ce créneau vient d'être pris."]
    still = {row.id: row for row in rows(session_factory)}[appointment.id]
    assert still.start_at == datetime(2026, 11, 27, 13, 0)  # naive UTC: not moved


@pytest.mark.asyncio
async def test_move_denied_asks_another_time(domain, operations, session_factory):
    appointment, known = await chosen_for_move(operations)

    result, said_back = await validate(slots.RESCHEDULE_FORM, moving(known, False), domain)

    assert result == {
        slots.RESCHEDULE_CONFIRMED: None,
        slots.NEW_TIME: None,
        slots.CHOSEN_SLOT: None,
        slots.OFFERED_SLOTS: [],
    }
    assert said_back == ["D'accord, choisissons un autre moment."]
    assert [a.start for a in operations.upcoming_appointments("482913", "+33612345678")] == [
        paris("2026-11-26T10:30:00"), paris("2026-11-27T14:00:00"),
    ]


# ----------------------------------------------------------------------- cancelling


async def chosen_for_cancel(operations):
    only = operations.book(MARIE, paris("2026-11-26T10:30:00"), "martin")
    return only, {
        slots.PATIENT_ID: "482913",
        slots.PHONE_NUMBER: "+33612345678",
        slots.IDENTITY_VERIFIED: True,
        slots.UPCOMING_APPOINTMENTS: [value_of(only)],
        slots.APPOINTMENT_ID: str(only.id),
    }


def cancelling(known, answer: bool):
    return form_tracker(
        slots.CANCEL_FORM, slots.CANCEL_CONFIRMED, "oui" if answer else "non",
        intent="affirm" if answer else "deny",
        filled={slots.CANCEL_CONFIRMED: answer}, slots_now=known,
    )


@pytest.mark.asyncio
async def test_cancel_confirmed_keeps_the_row_as_cancelled(domain, operations, session_factory):
    appointment, known = await chosen_for_cancel(operations)

    result, said_back = await validate(slots.CANCEL_FORM, cancelling(known, True), domain)

    assert result == {
        slots.CANCEL_CONFIRMED: True,
        slots.OUTCOME: {"cancelled": appointment.id, **value_of(appointment)},
    }
    assert said_back == []
    [row] = rows(session_factory)
    assert (row.id, row.status) == (appointment.id, STATUS_CANCELLED)
    assert operations.upcoming_appointments("482913", "+33612345678") == []
    # The slot is free again.
    assert operations.free_slot_at(paris("2026-11-26T10:30:00"), "martin").doctor_id == "martin"

    dispatcher = new_dispatcher()
    done = form_tracker(None, None, slots_now={**known, slots.OUTCOME: result[slots.OUTCOME]})
    events = await run_action(ActionCancelDone(), done, dispatcher, domain)
    assert texts(dispatcher) == [
        "C'est fait, votre rendez-vous du jeudi 26 novembre à 10 heures 30, avec la docteure "
        "Martin est annulé. Puis-je faire autre chose pour vous ?"
    ]
    assert events == reset_form_events()


@pytest.mark.asyncio
async def test_cancel_denied_changes_nothing(domain, operations, session_factory):
    appointment, known = await chosen_for_cancel(operations)

    result, said_back = await validate(slots.CANCEL_FORM, cancelling(known, False), domain)

    assert result == {slots.CANCEL_CONFIRMED: False, slots.OUTCOME: {"kept": True}}
    assert said_back == []
    [row] = rows(session_factory)
    assert row.status == STATUS_BOOKED

    dispatcher = new_dispatcher()
    done = form_tracker(None, None, slots_now={**known, slots.OUTCOME: result[slots.OUTCOME]})
    events = await run_action(ActionCancelDone(), done, dispatcher, domain)
    assert texts(dispatcher) == [
        "D'accord, je n'annule rien. Votre rendez-vous est maintenu. "
        "Puis-je faire autre chose pour vous ?"
    ]
    assert events == reset_form_events()


@pytest.mark.asyncio
async def test_cancel_of_an_appointment_gone_meanwhile(domain, operations, session_factory):
    appointment, known = await chosen_for_cancel(operations)
    operations.cancel(appointment.id, "482913", "+33612345678")  # e.g. by the reception

    result, said_back = await validate(slots.CANCEL_FORM, cancelling(known, True), domain)

    assert result == {slots.CANCEL_CONFIRMED: True, slots.OUTCOME: {"missing": True}}
    assert said_back == ["Ce rendez-vous n'est plus dans l'agenda."]
