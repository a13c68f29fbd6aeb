"""Issue 21, points 3 to 7, on the actions: what the forms make of a patient's answer.

A yes said first at a confirmation (« oui, annulez », « oui merci »), a goodbye while
a confirmation is pending, a change of form that starts with « non », a phone number
that Duckling reads as a date, and the turns after an emergency warning. Real
trackers as the action server receives them, on SQLite and PostgreSQL.
"""
from __future__ import annotations

import pytest
from rasa_sdk.events import SlotSet

from actions import slots
from actions.booking import ActionAskBookingConfirmed
from actions.cancellation import ActionAskCancelConfirmed
from actions.confirmation import confirmation_answer
from actions.emergency import (
    FOLLOW_UP,
    ActionEmergencyFollowUp,
    ActionEmergencyWarned,
    ActionPendingRequestAnswered,
    ActionRequestAfterEmergency,
)
from clinic.models import STATUS_BOOKED, STATUS_CANCELLED, Appointment
from spoken_french.yes_no import yes_first
from tests.actions.booking_form_trackers import CHOSEN, booking_tracker, rows, validate
from tests.actions.test_reschedule_cancel_forms import chosen_for_cancel, form_tracker
from tests.actions.test_reschedule_cancel_forms import validate as validate_form
from tests.actions.tracker_builder import (
    action_event, make_tracker, new_dispatcher, run_action,
    texts, time_entity, user_event,
)

YES_FIRST = [
    "oui, annulez", "Oui, je confirme l'annulation", "oui merci", "oui oui allez-y",
    "euh oui c'est ça, merci beaucoup", "d'accord, vous pouvez annuler", "ouais vas-y",
    "c'est bien ça oui", "parfait, merci madame", "oui s'il vous plaît, déplacez-le",
    "oui, c'est bon pour moi", "absolument, je confirme",
]
NOT_YES_FIRST = [
    "oui mais plutôt jeudi", "oui enfin non", "non non, je veux l'annuler", "annulez",
    "oui, en fait non", "oui, mais changez l'heure", "je ne sais pas", "non merci",
    "oui, attendez, pas ce jour-là", "pardon ?",
]


@pytest.mark.parametrize("said", YES_FIRST)
def test_a_yes_said_first_is_a_yes(said):
    assert yes_first(said)


@pytest.mark.parametrize("said", NOT_YES_FIRST)
def test_a_yes_that_turns_into_a_change_or_a_no_is_not(said):
    assert not yes_first(said)


# ----------------------------------------------------------------------- point 3


@pytest.mark.asyncio
@pytest.mark.parametrize("said, intent", [
    ("oui merci", "thank"), ("oui, je confirme le rendez-vous", "book_appointment"),
    ("oui c'est parfait", "affirm"),
])
async def test_yes_first_at_the_read_back_books(domain, operations, session_factory, said, intent):
    tracker = booking_tracker(slots.BOOKING_CONFIRMED, said, intent=intent, slots_now=CHOSEN)

    result, said_back = await validate(tracker, domain)

    [row] = rows(session_factory, Appointment)
    assert result[slots.BOOKING_CONFIRMED] is True and result[slots.OUTCOME]["booked"] == row.id
    assert row.status == STATUS_BOOKED and said_back == []


@pytest.mark.asyncio
async def test_yes_with_a_new_date_is_a_correction_not_a_yes(domain, operations, session_factory):
    entity = time_entity("jeudi à 11h", "2026-11-26T11:00:00.000+01:00", start=13)
    tracker = booking_tracker(
        slots.BOOKING_CONFIRMED, "oui mais plutôt jeudi à 11h", intent="inform",
        entities=[entity], slots_now=CHOSEN,
    )

    assert confirmation_answer(tracker, slots.BOOKING_CONFIRMED) == {}
    await validate(tracker, domain)
    assert rows(session_factory, Appointment) == []


@pytest.mark.asyncio
@pytest.mark.parametrize("said, intent", [
    ("oui, annulez", "cancel_appointment"), ("oui, je confirme l'annulation", "cancel_appointment"),
    ("oui merci", "thank"),
])
async def test_yes_first_at_the_cancellation_cancels(domain, operations, session_factory, said, intent):
    appointment, known = await chosen_for_cancel(operations)
    tracker = form_tracker(slots.CANCEL_FORM, slots.CANCEL_CONFIRMED, said, intent=intent,
                           slots_now=known)

    result, said_back = await validate_form(slots.CANCEL_FORM, tracker, domain)

    assert result[slots.CANCEL_CONFIRMED] is True
    assert result[slots.OUTCOME]["cancelled"] == appointment.id
    assert [row.status for row in rows(session_factory, Appointment)] == [STATUS_CANCELLED]


# ----------------------------------------------------------------------- point 4


@pytest.mark.asyncio
async def test_a_goodbye_at_the_read_back_asks_once_before_hanging_up(domain, operations,
                                                                     session_factory):
    tracker = booking_tracker(slots.BOOKING_CONFIRMED, "bon ben au revoir", intent="goodbye",
                              slots_now=CHOSEN)

    result, said_back = await validate(tracker, domain)

    # The form goes on (not rejected) and asks the confirmation again.
    assert result == {slots.GOODBYE_WARNED: True,
                      slots.REQUESTED_SLOT: slots.BOOKING_CONFIRMED}
    assert said_back == [] and rows(session_factory, Appointment) == []
    dispatcher = new_dispatcher()
    asked = booking_tracker(slots.BOOKING_CONFIRMED, "bon ben au revoir", intent="goodbye",
                            slots_now={**CHOSEN, slots.GOODBYE_WARNED: True})
    await run_action(ActionAskBookingConfirmed(), asked, dispatcher, domain)
    assert texts(dispatcher) == [
        "Je n'ai encore rien enregistré : je confirme votre rendez-vous du jeudi 26 novembre "
        "à 10 heures 30, avec la docteure Martin avant de raccrocher ?"
    ]


@pytest.mark.asyncio
async def test_a_second_goodbye_leaves_the_form_to_the_goodbye_rule(domain, operations,
                                                                   session_factory):
    tracker = booking_tracker(slots.BOOKING_CONFIRMED, "au revoir", intent="goodbye",
                              slots_now={**CHOSEN, slots.GOODBYE_WARNED: True})

    result, said_back = await validate(tracker, domain)

    # Nothing extracted: Rasa rejects the form and the rule « Goodbye ends the form »
    # deactivates it, resets it and says goodbye last (data/rules/form_interruptions.yml).
    assert set(result) <= {slots.REQUESTED_SLOT} and said_back == []
    assert rows(session_factory, Appointment) == []


@pytest.mark.asyncio
async def test_the_cancellation_warning_names_what_is_pending(domain, operations):
    appointment, known = await chosen_for_cancel(operations)
    dispatcher = new_dispatcher()
    tracker = form_tracker(slots.CANCEL_FORM, slots.CANCEL_CONFIRMED, "au revoir",
                           intent="goodbye", slots_now={**known, slots.GOODBYE_WARNED: True})

    await run_action(ActionAskCancelConfirmed(), tracker, dispatcher, domain)

    [said] = texts(dispatcher)
    assert said.startswith("Je n'ai encore rien enregistré : je confirme l'annulation du rendez-vous")
    assert said.endswith("avant de raccrocher ?")


# ----------------------------------------------------------------------- point 5


@pytest.mark.asyncio
async def test_a_switch_of_form_answers_nothing_and_prints_no_error(domain, operations,
                                                                    session_factory):
    """« non non, je veux l'annuler » during a booking: the rule resets the old form's
    slots (SlotSet None after the message) and starts the cancellation; its validation
    must not read those resets as answers (« je n'annule rien », three error lines)."""
    await chosen_for_cancel(operations)
    resets = {name: None for name in slots.FORM_SLOTS}
    tracker = make_tracker(text="non non, je veux l'annuler", intent="cancel_appointment",
                           active_loop=slots.CANCEL_FORM, filled=resets)

    result, said_back = await validate_form(slots.CANCEL_FORM, tracker, domain)

    assert said_back == []
    assert slots.OUTCOME not in result and result.get(slots.CANCEL_CONFIRMED) is None
    assert [row.status for row in rows(session_factory, Appointment)] == [STATUS_BOOKED]


# ----------------------------------------------------------------------- point 6


@pytest.mark.asyncio
async def test_a_phone_number_read_as_a_date_keeps_the_date_said_before(domain, operations):
    monday = "2027-01-04T15:00:00+01:00"
    said = "06 12 34 56 13"
    entity = time_entity("06 12 34", "2034-12-06T00:00:00.000+01:00", grain="day")
    events_before = {slots.LAST_NAME: "Dupont", slots.FIRST_NAME: "Marie",
                     slots.PATIENT_ID: "482913"}
    tracker = booking_tracker(
        slots.PHONE_NUMBER, said, entities=[entity],
        events=[SlotSet(slots.BOOKING_TIME, monday), action_event("action_listen"),
                user_event(said, "inform", [entity])],
        filled={slots.PHONE_NUMBER: said, slots.BOOKING_TIME: entity["value"]},
        slots_now=events_before,
    )

    result, said_back = await validate(tracker, domain)

    assert result[slots.BOOKING_TIME] == monday
    assert "Quel jour" not in " ".join(said_back)


# ----------------------------------------------------------------------- point 7


@pytest.mark.asyncio
async def test_the_warning_is_remembered_and_the_forms_forgotten(domain):
    events = await run_action(ActionEmergencyWarned(), make_tracker(intent="emergency"))
    values = {e["name"]: e["value"] for e in events}
    assert values[slots.EMERGENCY_WARNED] is True and values[slots.PENDING_REQUEST] is None
    assert all(values[name] is None for name in slots.FORM_SLOTS)


@pytest.mark.asyncio
@pytest.mark.parametrize("said, intent", [
    ("le 15 ? c'est grave vous croyez ?", "ask_price"), ("qu'est-ce que je fais ?", "nlu_fallback"),
    ("oui", "affirm"),
])
async def test_after_a_warning_what_continues_it_gets_the_advice(domain, said, intent):
    dispatcher = new_dispatcher()
    tracker = make_tracker(slots={slots.EMERGENCY_WARNED: True}, text=said, intent=intent)

    assert await run_action(ActionEmergencyFollowUp(), tracker, dispatcher, domain) == []
    assert texts(dispatcher) == [FOLLOW_UP] and "15" in FOLLOW_UP and "112" in FOLLOW_UP


@pytest.mark.asyncio
async def test_after_a_warning_a_request_is_asked_about_first(domain):
    dispatcher = new_dispatcher()
    tracker = make_tracker(slots={slots.EMERGENCY_WARNED: True},
                           text="vous pouvez pas me prendre ce matin plutôt ?",
                           intent="reschedule_appointment")

    events = await run_action(ActionRequestAfterEmergency(), tracker, dispatcher, domain)

    assert {e["name"]: e["value"] for e in events} == {
        slots.PENDING_REQUEST: "reschedule_appointment", slots.EMERGENCY_WARNED: False}
    assert texts(dispatcher) == [
        "Si c'est urgent, appelez d'abord le 15, ou le 112. "
        "Voulez-vous quand même déplacer votre rendez-vous ?"
    ]


@pytest.mark.asyncio
@pytest.mark.parametrize("intent, warned", [("affirm", False), ("deny", True)])
async def test_the_pending_request_answered(domain, intent, warned):
    tracker = make_tracker(slots={slots.PENDING_REQUEST: "book_appointment"}, intent=intent)
    events = await run_action(ActionPendingRequestAnswered(), tracker)
    assert {e["name"]: e["value"] for e in events} == {
        slots.PENDING_REQUEST: None, slots.EMERGENCY_WARNED: warned}


# ----------------------------------------------------------------------- point 6, said up front


@pytest.mark.asyncio
async def test_a_file_number_and_a_phone_said_in_the_request_fill_their_slots(domain, operations):
    said = ("bonjour, c'est Marie Dupont, dossier 482913, je voudrais un rendez-vous, "
            "mon numéro c'est le 06 12 34 56 78")
    tracker = booking_tracker(None, said, intent="book_appointment")

    result, said_back = await validate(tracker, domain)

    assert result[slots.PATIENT_ID] == "482913"
    assert result[slots.PHONE_NUMBER] == "+33612345678"
    assert said_back == []


@pytest.mark.asyncio
async def test_the_phone_said_with_the_file_number_is_checked_with_it(domain, operations):
    from tests.actions.tracker_builder import MARIE, paris

    operations.book(MARIE, paris("2026-11-30T09:00:00"), "martin")
    said = "482913, et mon téléphone c'est le 06 12 34 56 78"
    tracker = form_tracker(slots.CANCEL_FORM, slots.PATIENT_ID, said,
                           filled={slots.PATIENT_ID: said})

    result, said_back = await validate_form(slots.CANCEL_FORM, tracker, domain)

    assert result[slots.IDENTITY_VERIFIED] is True
    assert said_back[0].startswith("Merci. Votre rendez-vous est le lundi 30 novembre")


@pytest.mark.asyncio
@pytest.mark.parametrize("said", [
    "je voudrais un rendez-vous le 12 à 15 h", "c'est pour mon fils de 12 ans",
    "un rendez-vous pour 2 personnes à 10 h 30",
])
async def test_numbers_that_are_no_file_number_nor_phone_fill_nothing(domain, operations, said):
    tracker = booking_tracker(None, said, intent="book_appointment")
    result, _ = await validate(tracker, domain)
    assert slots.PATIENT_ID not in result and slots.PHONE_NUMBER not in result
