"""After an emergency warning (``utter_emergency``), the conversation stays with it.

The warning sets ``emergency_warned`` for the rest of the conversation. Then
(``data/rules/after_emergency.yml``) whatever continues it — « c'est grave vous
croyez ? », « qu'est-ce que je fais ? », a « oui », something not understood — gets
the advice again with the way to the front desk, never a price or an opening time.
A request (book, move, cancel) is not taken straight away: the caller is told to call
the 15 first and asked whether they still want it; only a « oui » starts the form
(``pending_request``) and ends the warning; a « non » keeps it.
"""
from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import slots
from actions.clinic_action import ClinicAction, Events
from actions.conversation_control import reset_form_events
from actions.expected_answer import YES_NO, expecting
from actions.latest_message import latest_intent

FOLLOW_UP = (
    "Je ne peux pas juger de la gravité. Au moindre doute, appelez tout de suite le 15, "
    "ou le 112. Pour parler à l'accueil du cabinet, dites « accueil »."
)
REQUESTS = {
    "book_appointment": "prendre un rendez-vous",
    "reschedule_appointment": "déplacer votre rendez-vous",
    "cancel_appointment": "annuler votre rendez-vous",
}


def still_want(request: str) -> str:
    """The question asked when a request follows a warning."""
    return (
        "Si c'est urgent, appelez d'abord le 15, ou le 112. "
        f"Voulez-vous quand même {REQUESTS[request]} ?"
    )


class ActionEmergencyWarned(ClinicAction):
    """Right after the warning: forms forgotten, the warning remembered."""

    action_name = "action_emergency_warned"

    def answer(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> Events:
        return reset_form_events() + [
            SlotSet(slots.HANDOFF_OFFERED, False),
            SlotSet(slots.PENDING_REQUEST, None),
            SlotSet(slots.EMERGENCY_WARNED, True),
        ]


class ActionEmergencyFollowUp(ClinicAction):
    """A turn after the warning that continues it: the advice again."""

    action_name = "action_emergency_follow_up"

    def answer(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> Events:
        dispatcher.utter_message(text=FOLLOW_UP)
        return []


class ActionRequestAfterEmergency(ClinicAction):
    """A request after the warning: is it still wanted? (``pending_request``)"""

    action_name = "action_request_after_emergency"

    def answer(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> Events:
        intent = latest_intent(tracker)
        dispatcher.utter_message(text=still_want(intent), **expecting(YES_NO))
        return [SlotSet(slots.PENDING_REQUEST, intent), SlotSet(slots.EMERGENCY_WARNED, False)]


class ActionPendingRequestAnswered(ClinicAction):
    """« oui » or « non » to :func:`still_want`: the question is no longer pending;
    after « non » the warning holds again."""

    action_name = "action_pending_request_answered"

    def answer(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> Events:
        return [SlotSet(slots.PENDING_REQUEST, None),
                SlotSet(slots.EMERGENCY_WARNED, latest_intent(tracker) != "affirm")]
