"""Handing the caller over to a person at the clinic's reception.

The bot says so, and sends a ``handoff`` event as a custom payload: the voice
channel turns it into a call transfer to ``reception_phone`` from clinic.yml;
a text client shows it.
"""
from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.clinic_action import ClinicAction, Events
from clinic.config import clinic_config

HANDOFF_EVENT = "handoff"


class ActionHandoff(ClinicAction):
    action_name = "action_handoff"

    def answer(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> Events:
        dispatcher.utter_message(response="utter_handoff")
        dispatcher.utter_message(
            json_message={
                "event": HANDOFF_EVENT,
                "transfer_to": clinic_config().reception_phone,
                "reason": tracker.get_intent_of_latest_message() or "unknown",
            }
        )
        return [SlotSet("handoff_offered", False)]
