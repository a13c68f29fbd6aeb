"""Repeat, weak understanding, handoff, opening hours and reset, on real trackers."""
from __future__ import annotations

import inspect

import pytest
from rasa_sdk import Action
from rasa_sdk.events import ActiveLoop, SlotSet
from rasa_sdk.forms import FormValidationAction

from actions import (
    appointment_lookup,
    ask_limit,
    booking,
    cancellation,
    clinic_information,
    conversation_control,
    emergency,
    handoff,
    rescheduling,
    slots,
)
from actions.clinic_information import ActionTellOpeningHours
from actions.conversation_control import ActionLowConfidence, ActionRepeatLast, ActionResetForms
from actions.handoff import ActionHandoff
from tests.actions.tracker_builder import (
    action_event, bot_event, make_tracker, new_dispatcher,
    run_action, user_event,
)

HOURS = (
    "Le cabinet est ouvert du lundi au jeudi de 8 heures 30 à 12 heures 30 et de 14 heures "
    "à 19 heures, le vendredi de 8 heures 30 à 12 heures 30 et de 14 heures à 18 heures et "
    "le samedi de 9 heures à midi. Il est fermé le dimanche."
)


def conversation(*turns, active_loop=None):
    """A tracker whose events are ``turns`` (the last user event is the latest message)."""
    latest = next(e for e in reversed(turns) if e["event"] == "user")
    parsed = latest["parse_data"]
    return make_tracker(
        text=latest["text"],
        intent=parsed["intent"]["name"],
        confidence=parsed["intent"]["confidence"],
        active_loop=active_loop,
        events=list(turns),
    )


async def run(action, tracker, domain):
    dispatcher = new_dispatcher()
    events = await run_action(action, tracker, dispatcher, domain)
    return events, dispatcher.messages


# ----------------------------------------------------------------------- repeat


@pytest.mark.asyncio
async def test_repeat_outside_a_form_says_the_last_bot_turn_again(domain):
    tracker = conversation(
        action_event("action_session_start"),
        bot_event("Bonjour, vous êtes bien au cabinet médical."),
        action_event("action_listen"),
        user_event("quels sont vos horaires", "ask_opening_hours"),
        action_event("action_tell_opening_hours"),
        bot_event(HOURS),
        action_event("utter_anything_else"),
        bot_event("Puis-je faire autre chose pour vous ?"),
        action_event("action_listen"),
        user_event("pardon vous pouvez répéter", "ask_repeat"),
    )

    events, messages = await run(ActionRepeatLast(), tracker, domain)

    assert events == []
    assert [m["text"] for m in messages] == [HOURS, "Puis-je faire autre chose pour vous ?"]


@pytest.mark.asyncio
async def test_repeat_twice_says_the_same_again(domain):
    tracker = conversation(
        action_event("action_listen"),
        user_event("quels sont vos horaires", "ask_opening_hours"),
        bot_event(HOURS),
        action_event("action_listen"),
        user_event("répétez", "ask_repeat"),
        bot_event(HOURS),
        action_event("action_listen"),
        user_event("encore une fois s'il vous plaît", "ask_repeat"),
    )

    _, messages = await run(ActionRepeatLast(), tracker, domain)

    assert [m["text"] for m in messages] == [HOURS]


@pytest.mark.asyncio
async def test_repeat_with_nothing_said_yet_greets(domain):
    tracker = conversation(action_event("action_listen"), user_event("répétez", "ask_repeat"))

    events, messages = await run(ActionRepeatLast(), tracker, domain)

    assert events == []
    assert [m["response"] for m in messages] == ["utter_greet"]


@pytest.mark.asyncio
async def test_repeat_inside_a_form_lets_the_form_ask_again(domain):
    tracker = conversation(
        action_event("booking_form"),
        ActiveLoop("booking_form"),
        SlotSet(slots.REQUESTED_SLOT, slots.PATIENT_ID),
        bot_event("Quel est votre numéro de dossier patient ? Vous pouvez le dire chiffre par chiffre."),
        action_event("action_listen"),
        user_event("pardon ?", "ask_repeat"),
        active_loop="booking_form",
    )

    events, messages = await run(ActionRepeatLast(), tracker, domain)

    assert events == []
    assert [(m["text"], m["response"]) for m in messages] == [(None, "utter_repeat_intro")]
    assert domain["responses"]["utter_repeat_intro"] == [{"text": "Je répète."}]


# ----------------------------------------------------------------------- weak understanding


@pytest.mark.asyncio
async def test_first_weak_understanding_asks_to_rephrase(domain):
    tracker = conversation(
        action_event("action_listen"),
        user_event("bonjour", "greet"),
        bot_event("Bonjour, vous êtes bien au cabinet médical."),
        action_event("action_listen"),
        user_event("grmbl tsss", "nlu_fallback", confidence=0.3),
    )

    events, messages = await run(ActionLowConfidence(), tracker, domain)

    assert events == []
    assert [m["response"] for m in messages] == ["utter_ask_rephrase"]


@pytest.mark.asyncio
async def test_second_weak_understanding_in_a_row_offers_a_person(domain):
    tracker = conversation(
        action_event("action_listen"),
        user_event("grmbl tsss", "nlu_fallback", confidence=0.3),
        action_event("action_low_confidence"),
        bot_event("Excusez-moi, je n'ai pas bien compris. Pouvez-vous le dire autrement ?"),
        action_event("action_listen"),
        user_event("bzz schtroumpf", "nlu_fallback", confidence=0.2),
    )

    events, messages = await run(ActionLowConfidence(), tracker, domain)

    assert events == [SlotSet(slots.HANDOFF_OFFERED, True)]
    assert [m["response"] for m in messages] == ["utter_offer_handoff"]
    assert domain["responses"]["utter_offer_handoff"] == [
        {"text": "Je n'arrive pas à vous comprendre. Voulez-vous que je vous passe une "
                 "personne de l'accueil ?",
         "metadata": {"expect": "yes_no"}}  # the phone hears « oui »/« non » (hint)
    ]


@pytest.mark.asyncio
async def test_weak_understanding_after_an_understood_message_starts_again(domain):
    tracker = conversation(
        action_event("action_listen"),
        user_event("grmbl", "nlu_fallback", confidence=0.3),
        bot_event("Excusez-moi, je n'ai pas bien compris. Pouvez-vous le dire autrement ?"),
        action_event("action_listen"),
        user_event("je voudrais un rendez-vous", "book_appointment"),
        bot_event("Très bien, je vais prendre votre rendez-vous."),
        action_event("action_listen"),
        user_event("tsss", "nlu_fallback", confidence=0.3),
    )

    events, messages = await run(ActionLowConfidence(), tracker, domain)

    assert events == []
    assert [m["response"] for m in messages] == ["utter_ask_rephrase"]


# ----------------------------------------------------------------------- handoff


@pytest.mark.asyncio
async def test_handoff_transfers_to_the_reception(domain):
    tracker = conversation(
        action_event("action_listen"),
        user_event("je veux parler à quelqu'un", "ask_human"),
    )

    events, messages = await run(ActionHandoff(), tracker, domain)

    assert events == [SlotSet(slots.HANDOFF_OFFERED, False)]
    assert [m["response"] for m in messages] == ["utter_handoff", None]
    assert messages[1]["custom"] == {
        "event": "handoff",
        "transfer_to": "+33184801234",
        "reason": "ask_human",
    }
    assert domain["responses"]["utter_handoff"] == [
        {"text": "Je vous passe l'accueil du cabinet. Ne quittez pas, s'il vous plaît."}
    ]


# ----------------------------------------------------------------------- opening hours


@pytest.mark.asyncio
async def test_opening_hours(domain):
    tracker = conversation(
        action_event("action_listen"),
        user_event("vous êtes ouverts quand", "ask_opening_hours"),
    )

    events, messages = await run(ActionTellOpeningHours(), tracker, domain)

    assert events == []
    assert [m["text"] for m in messages] == [HOURS]


# ----------------------------------------------------------------------- reset


@pytest.mark.asyncio
async def test_reset_forms_clears_every_form_slot(domain):
    tracker = make_tracker(slots={slots.LAST_NAME: "Dupont", slots.OUTCOME: {"kept": True}})

    events, messages = await run(ActionResetForms(), tracker, domain)

    assert messages == []
    assert all(e["event"] == "slot" for e in events)
    values = {e["name"]: e["value"] for e in events}
    # Closing a pending offer of a person is checked on its own (see the next test).
    assert values.pop(slots.HANDOFF_OFFERED, False) is False
    assert values == {**{name: None for name in slots.FORM_SLOTS}, slots.OUTCOME: None}
    assert len(events) == len({e["name"] for e in events})  # each slot set once


@pytest.mark.asyncio
async def test_reset_forms_after_a_declined_offer_closes_the_offer(domain):
    tracker = conversation(
        action_event("action_listen"),
        user_event("bzz", "nlu_fallback", confidence=0.2),
        bot_event("Je n'arrive pas à vous comprendre. Voulez-vous que je vous passe une "
                  "personne de l'accueil ?"),
        SlotSet(slots.HANDOFF_OFFERED, True),
        action_event("action_listen"),
        user_event("non merci", "deny"),
        action_event("utter_handoff_declined"),
        bot_event("D'accord. Je vous écoute. Vous pouvez prendre, déplacer ou annuler un rendez-vous."),
    )
    tracker.slots[slots.HANDOFF_OFFERED] = True

    events, _ = await run(ActionResetForms(), tracker, domain)

    assert SlotSet(slots.HANDOFF_OFFERED, False) in events


# ----------------------------------------------------------------------- the domain knows them


def _action_classes():
    modules = (appointment_lookup, ask_limit, booking, cancellation, clinic_information,
               conversation_control, emergency, handoff, rescheduling)
    for module in modules:
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if (issubclass(cls, Action) and cls.__module__ == module.__name__
                    and not inspect.isabstract(cls) and not cls.__name__.startswith("_")):
                yield cls


def test_every_action_is_in_the_domain(domain):
    names = {cls().name() for cls in _action_classes()}
    assert names == set(domain["actions"])
    forms = {cls().form_name() for cls in _action_classes() if issubclass(cls, FormValidationAction)}
    assert forms == set(domain["forms"])


def test_every_response_the_actions_use_is_in_the_domain(domain):
    used = {"utter_greet", "utter_repeat_intro", "utter_ask_rephrase", "utter_offer_handoff",
            "utter_handoff", "utter_anything_else"}
    assert used <= set(domain["responses"])
