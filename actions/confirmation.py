"""The answer to a form's last question, « Je confirme ? », in the caller's words.

Shared by the three forms (booking, moving, cancelling), whose confirmation slots
are filled by « oui »/« non » (``affirm``/``deny`` in ``domain.yml``). Two more
answers are read here, before any rule (an active form runs first):

* a yes said first, whatever follows (« oui, annulez », « oui, je confirme
  l'annulation », « oui merci ») is a yes, unless it carries a new value (a date, a
  name: then it is a correction, for the form) — :func:`spoken_french.yes_no.yes_first`;
* a goodbye while the confirmation is pending: nothing is written yet, so the caller
  is asked once more, in one sentence that says so (:func:`before_hanging_up`); a
  second goodbye ends the form and the call (``data/rules/form_interruptions.yml``).
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, Dict, Text

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import slots
from actions.clinic_action import ClinicAction, Events
from actions.expected_answer import YES_NO, expecting
from actions.latest_message import latest_intent
from spoken_french.yes_no import yes_first

# Entities that make « oui, … » a correction rather than a plain yes.
_NEW_VALUES = ("time", "first_name", "last_name", "phone_number", "patient_id", "doctor")


def confirmation_answer(tracker: Tracker, slot: str) -> Dict[Text, Any]:
    """What the caller's latest message fills when ``slot`` (a confirmation) is asked,
    beyond Rasa's own ``affirm``/``deny`` mappings: ``{slot: True}`` for a yes said
    first, the goodbye warning's flag for a first goodbye, else nothing."""
    if tracker.get_slot(slots.REQUESTED_SLOT) != slot:
        return {}
    message = tracker.latest_message or {}
    if latest_intent(tracker) == "goodbye" and not tracker.get_slot(slots.GOODBYE_WARNED):
        return {slots.GOODBYE_WARNED: True}
    entities = {e.get("entity") for e in message.get("entities") or []}
    if yes_first(message.get("text") or "") and not entities.intersection(_NEW_VALUES):
        return {slot: True}
    return {}


def before_hanging_up(tracker: Tracker) -> bool:
    """Whether the confirmation is asked again because the caller said goodbye."""
    return latest_intent(tracker) == "goodbye" and bool(tracker.get_slot(slots.GOODBYE_WARNED))


def not_yet_saved(what: str) -> str:
    """The question asked once after a goodbye: ``what`` is the pending change."""
    return f"Je n'ai encore rien enregistré : je confirme {what} avant de raccrocher ?"


class ConfirmationQuestion(ClinicAction, ABC):
    """A form's « Je confirme ? »: its read-back, or, after a first goodbye, the one
    question that says nothing is saved yet."""

    @abstractmethod
    def pending(self, tracker: Tracker) -> str:
        """The change not saved yet (« l'annulation du rendez-vous du … »)."""

    @abstractmethod
    def read_back(self, tracker: Tracker) -> str:
        """The whole read-back, ending with the question."""

    def answer(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> Events:
        if before_hanging_up(tracker):
            text = not_yet_saved(self.pending(tracker))
        else:
            text = self.read_back(tracker)
        dispatcher.utter_message(text=text, **expecting(YES_NO))
        return []
