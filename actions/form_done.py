"""A form's last action: say how it ended, then close it.

Booking, moving and cancelling end the same way: the form's ``outcome`` slot says
what happened; the action says it (each form its own sentences), or, when the form
gave up on a question, leaves the reception's offer just made as the last word
(:func:`actions.ask_limit.gave_up_events`); otherwise it asks whether there is
anything else. The form's slots are emptied in every case.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import slots
from actions.clinic_action import ClinicAction, Events
from actions.ask_limit import gave_up, gave_up_events
from actions.conversation_control import reset_form_events

ANYTHING_ELSE = "Puis-je faire autre chose pour vous ?"


class FormDoneAction(ClinicAction, ABC):
    @abstractmethod
    def outcome_sentence(self, outcome: Dict[Text, Any]) -> Optional[str]:
        """What to say of ``outcome`` when it is this form's own (« Puis-je faire autre
        chose pour vous ? » follows it), or None."""

    def outcome_events(self, outcome: Dict[Text, Any]) -> Optional[List[Dict[Text, Any]]]:
        """Events for an outcome already said during the form (none by default)."""
        return None

    def answer(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> Events:
        outcome = tracker.get_slot(slots.OUTCOME) or {}
        sentence = self.outcome_sentence(outcome)
        if sentence is not None:
            dispatcher.utter_message(text=f"{sentence} {ANYTHING_ELSE}")
            return reset_form_events()
        events = self.outcome_events(outcome)
        if events is not None:
            return reset_form_events() + events
        if gave_up(tracker):  # the reception was just offered
            return reset_form_events() + gave_up_events()
        dispatcher.utter_message(response="utter_anything_else")
        return reset_form_events()
