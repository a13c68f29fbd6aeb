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

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import slots
from actions.ask_limit import gave_up, gave_up_events
from actions.conversation_control import reset_form_events

ANYTHING_ELSE = "Puis-je faire autre chose pour vous ?"


class FormDoneAction(Action, ABC):
    @abstractmethod
    def said_outcome(
        self, dispatcher: CollectingDispatcher, outcome: Dict[Text, Any]
    ) -> Optional[List[Dict[Text, Any]]]:
        """Say ``outcome`` when it is this form's own; the events to add to the form's
        reset (often none), or None when the outcome is not one this form says."""

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[Text, Any]]:
        outcome = tracker.get_slot(slots.OUTCOME) or {}
        events = self.said_outcome(dispatcher, outcome)
        if events is not None:
            return reset_form_events() + events
        if gave_up(tracker):  # the reception was just offered
            return reset_form_events() + gave_up_events()
        dispatcher.utter_message(response="utter_anything_else")
        return reset_form_events()
