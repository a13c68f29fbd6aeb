"""What a question expects travels with it, from the domain and the actions to the voice
channel's recognition hint, through Rasa's own response path.

A question's message carries ``metadata: {"expect": kind}`` (``domain.yml``,
``actions/expected_answer.py``). Rasa turns the action server's messages and the
domain's responses into ``BotUttered`` events and sends them to the output channel: the
phone call's :class:`ReplyCollector` keeps the metadata (its hint needs no tracker
read), the tracker keeps it on the bot event (the HTTP turn's hint), and text clients
never see it.
"""
from __future__ import annotations

import asyncio
from typing import Any, Dict, List, Tuple

import pytest
from rasa.core.actions.action import ActionBotResponse, RemoteAction
from rasa.core.channels.channel import CollectingOutputChannel
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from actions import slots
from actions.ask_limit import KEYPAD_OFFER, ActionAskPatientId, ActionAskPhoneNumber
from actions.booking import ActionAskBookingTime
from actions.expected_answer import KINDS, expecting
from tests.actions.tracker_builder import make_tracker, new_dispatcher, run_action
from voice_channel.dialogue.hint import hint_from_events, hint_from_reply
from voice_channel.dialogue.rasa import ReplyCollector
from voice_channel.stt.hints import EXPECTED_KINDS

DOMAIN = Domain.load("domain.yml")
NLG = TemplatedNaturalLanguageGenerator(DOMAIN.responses)


def rasa_tracker() -> DialogueStateTracker:
    tracker = DialogueStateTracker("caller", DOMAIN.slots)
    tracker.update(UserUttered("bonjour"))
    return tracker


def delivered(events) -> Tuple[List[Dict[str, Any]], List[Dict[str, Any]], List[Dict[str, Any]]]:
    """What the phone's collector, a text client's collector and the tracker keep of
    Rasa's bot events."""
    phone, text_client = ReplyCollector(), CollectingOutputChannel()

    async def send():
        for event in events:
            await phone.send_response("caller", event.message())
            await text_client.send_response("caller", event.message())

    asyncio.run(send())
    stored = [{"event": "user", "text": "bonjour"}, *(e.as_dict() for e in events)]
    return phone.messages, text_client.messages, stored


def from_action_server(messages: List[Dict[str, Any]]):
    """The action server's messages as Rasa utters them (``RemoteAction``)."""
    return asyncio.run(RemoteAction._utter_responses(
        [dict(m) for m in messages], CollectingOutputChannel(), NLG, rasa_tracker()))


@pytest.mark.parametrize("response, expected", [
    ("utter_ask_last_name", "name"),
    ("utter_ask_first_name", "first_name"),
    ("utter_ask_patient_id", "patient_id"),
    ("utter_ask_phone_number", "phone"),
    ("utter_offer_handoff", "yes_no"),
    ("utter_anything_else", "free"),
])
def test_the_domains_questions_say_what_they_expect(response, expected):
    by_form = asyncio.run(ActionBotResponse(response).run(
        CollectingOutputChannel(), NLG, rasa_tracker(), DOMAIN))
    by_action = from_action_server([{"response": response}])
    for events in (by_form, by_action):
        phone, text_client, stored = delivered(events)
        question = DOMAIN.responses[response][0]["text"]
        for hint in (hint_from_reply(phone), hint_from_events(stored)):
            assert (hint.expected, hint.question) == (expected, question)
            assert hint.digits == (6 if expected == "patient_id" else None)
        assert text_client == [{"recipient_id": "caller", "text": question}]


def test_the_actions_questions_say_what_they_expect():
    at_limit = {slots.VALIDATION_FAILURES: {slots.PATIENT_ID: 3, slots.PHONE_NUMBER: 3}}
    cases = [
        (ActionAskBookingTime(), make_tracker(requested_slot=slots.BOOKING_TIME), "date"),
        (ActionAskPatientId(), make_tracker(at_limit, requested_slot=slots.PATIENT_ID),
         "patient_id"),
        (ActionAskPhoneNumber(), make_tracker(at_limit, requested_slot=slots.PHONE_NUMBER),
         "phone"),
    ]
    for action, tracker, expected in cases:
        dispatcher = new_dispatcher()
        asyncio.run(run_action(action, tracker, dispatcher))
        phone, text_client, stored = delivered(from_action_server(dispatcher.messages))
        assert hint_from_reply(phone).expected == expected, action.name()
        assert hint_from_events(stored).expected == expected, action.name()
        assert "metadata" not in text_client[-1]
    assert hint_from_reply(phone).question == KEYPAD_OFFER  # the phone's, at the limit


def test_a_confirmation_is_a_yes_or_no_and_only_the_last_question_counts():
    events = from_action_server([
        {"text": "Quel jour ?", **expecting("date")},
        {"text": "Je récapitule. Je confirme ?", **expecting("yes_no")},
    ])
    phone, _, stored = delivered(events)
    assert hint_from_reply(phone).expected == hint_from_events(stored).expected == "yes_no"
    said_after = delivered(from_action_server([{"text": "Quel jour ?", **expecting("date")},
                                               {"text": "C'est noté."}]))
    assert hint_from_reply(said_after[0]).expected == "free"


def test_kinds_are_the_voice_channels_and_the_question_is_only_the_bots_last_turn():
    assert set(KINDS) <= set(EXPECTED_KINDS)
    with pytest.raises(ValueError):
        expecting("a date, please")
    _, _, stored = delivered(from_action_server([{"text": "Quel jour ?", **expecting("date")}]))
    answered = hint_from_events([*stored, {"event": "user", "text": "demain"}])
    assert (answered.expected, answered.question) == ("free", None)
    assert hint_from_reply([]).expected == "free"
