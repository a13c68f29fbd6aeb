"""How many times a question is asked: clinic.yml's limit, and what the caller hears then.

Every rejected answer to a form's question counts against that slot (the slot
``validation_failures``, see :meth:`actions.form_validation.ClinicFormValidation.fail`).
Below ``conversation.max_asks_per_slot`` rejections the question is asked again.
At the limit:

* a number the caller may type (patient ID, phone) is not asked again: the ask
  actions here say :data:`KEYPAD_OFFER` instead (keypad, reception or stop), and the
  question stays open for the keypad; one more rejection ends the form;
* any other question ends the form, the explanation followed by :data:`LIMIT_OFFER`.

A form that ends this way has ``outcome`` ``{"gave_up": slot}``; its end action
then sets ``handoff_offered`` (:func:`gave_up_events`), so that « oui » transfers
the call (rule "Handoff offer accepted"), « accueil » asks for a person and
« stop » stops.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, Dict, List, Text

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import slots
from actions.clinic_action import ClinicAction, Events
from clinic.config import clinic_config
from actions.expected_answer import PATIENT_ID, PHONE, expecting

GAVE_UP = "gave_up"
# Numbers the phone line lets the caller type on the keypad.
KEYPAD_SLOTS = (slots.PATIENT_ID, slots.PHONE_NUMBER)
LIMIT_OFFER = (
    "Dites « accueil » et je vous passe l'accueil du cabinet, ou « stop » pour arrêter."
)
KEYPAD_OFFER = (
    "Vous pouvez taper votre numéro sur le clavier, dire « accueil » et je vous passe "
    "l'accueil du cabinet, ou « stop » pour arrêter."
)


def max_asks_per_slot() -> int:
    return clinic_config().conversation.max_asks_per_slot


def failures_of(tracker: Tracker, slot: str) -> int:
    """Rejected answers to ``slot``'s question since it was last accepted."""
    return int((tracker.get_slot(slots.VALIDATION_FAILURES) or {}).get(slot, 0))


def ends_the_form(slot: str, failures: int) -> bool:
    """Whether ``failures`` rejections of ``slot`` end the form (see the module)."""
    limit = max_asks_per_slot()
    return failures > limit if slot in KEYPAD_SLOTS else failures >= limit


def gave_up_outcome(slot: str) -> Dict[str, str]:
    return {GAVE_UP: slot}


def gave_up(tracker: Tracker) -> bool:
    """Whether the form ended at the limit (the offer has been said)."""
    return bool((tracker.get_slot(slots.OUTCOME) or {}).get(GAVE_UP))


def gave_up_events() -> List[Dict[Text, Any]]:
    """After the offer of the reception: « oui » transfers (``handoff_offered``)."""
    return [SlotSet(slots.HANDOFF_OFFERED, True)]


class _AskNumber(ClinicAction, ABC):
    """The question for a number, or, at the limit, the keypad offer instead (abstract:
    the action server registers only its subclasses)."""

    expect = ""  # the kind of answer (actions.expected_answer)

    @property
    @abstractmethod
    def slot(self) -> Text:
        """The number's slot (``patient_id``, ``phone_number``)."""

    def name(self) -> Text:
        return f"action_ask_{self.slot}"

    def answer(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> Events:
        if failures_of(tracker, self.slot) >= max_asks_per_slot():
            dispatcher.utter_message(text=KEYPAD_OFFER, **expecting(self.expect))
        else:
            dispatcher.utter_message(response=f"utter_ask_{self.slot}")
        return []


class ActionAskPatientId(_AskNumber):
    slot = slots.PATIENT_ID
    expect = PATIENT_ID


class ActionAskPhoneNumber(_AskNumber):
    slot = slots.PHONE_NUMBER
    expect = PHONE
