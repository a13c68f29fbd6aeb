"""Keeping the conversation on its feet: repeat, start over, weak understanding."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import slots
from actions.clinic_action import ClinicAction, Events

# Consecutive weak understandings before a person is offered.
LOW_CONFIDENCE_BEFORE_OFFER = 2


def reset_form_events() -> List[Dict[Text, Any]]:
    """Forget everything a form collected (a new request starts clean)."""
    return [SlotSet(name, None) for name in slots.FORM_SLOTS] + [SlotSet(slots.OUTCOME, None)]


class ActionResetForms(ClinicAction):
    action_name = "action_reset_forms"

    def answer(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> Events:
        return reset_form_events() + [SlotSet(slots.HANDOFF_OFFERED, False)]


class ActionRepeatLast(ClinicAction):
    """Says again what the bot said last; inside a form, the form asks again."""

    action_name = "action_repeat_last"

    def answer(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> Events:
        if tracker.active_loop_name:
            dispatcher.utter_message(response="utter_repeat_intro")
            return []
        last_turn = _last_bot_turn(tracker)
        if not last_turn:
            dispatcher.utter_message(response="utter_greet")
        for text in last_turn:
            dispatcher.utter_message(text=text)
        return []


def _last_bot_turn(tracker: Tracker) -> List[str]:
    """Texts of the bot's messages since the user's message before the last one."""
    texts: List[str] = []
    user_messages = 0
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            user_messages += 1
            if user_messages == 2:
                break
        elif event.get("event") == "bot" and user_messages == 1 and event.get("text"):
            texts.append(event["text"])
    return list(reversed(texts))


class ActionLowConfidence(ClinicAction):
    """First weak understanding: ask to rephrase. Then: offer a person."""

    action_name = "action_low_confidence"

    def answer(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> Events:
        if _consecutive_fallbacks(tracker) >= LOW_CONFIDENCE_BEFORE_OFFER:
            dispatcher.utter_message(response="utter_offer_handoff")
            return [SlotSet(slots.HANDOFF_OFFERED, True)]
        dispatcher.utter_message(response="utter_ask_rephrase")
        return []


def _consecutive_fallbacks(tracker: Tracker) -> int:
    count = 0
    for event in reversed(tracker.events):
        if event.get("event") != "user":
            continue
        intent = (event.get("parse_data") or {}).get("intent", {}).get("name")
        if intent != "nlu_fallback":
            break
        count += 1
    return count
