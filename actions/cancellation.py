"""Cancelling an appointment: identity, which appointment, confirmation.

The row is kept with status ``cancelled``.
"""
from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError

from actions import slots
from actions.appointment_lookup import (
    AppointmentLookupValidation,
    chosen_appointment,
    say_appointment,
)
from actions.clinic_operations import AppointmentNotFound
from actions.clinic_service import clinic_operations, run_blocking
from actions.confirmation import before_hanging_up, confirmation_answer, not_yet_saved
from actions.expected_answer import YES_NO, expecting
from actions.form_done import ANYTHING_ELSE, FormDoneAction
from actions.time_answers import CALENDAR_UNAVAILABLE

logger = logging.getLogger(__name__)


class ValidateCancelForm(AppointmentLookupValidation):
    def name(self) -> Text:
        return "validate_cancel_form"

    async def required_slots(
        self,
        domain_slots: List[Text],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> List[Text]:
        required = self.lookup_slots(tracker)
        if slots.APPOINTMENT_ID in required:
            required.append(slots.CANCEL_CONFIRMED)
        return required

    async def extract_cancel_confirmed(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        return confirmation_answer(tracker, slots.CANCEL_CONFIRMED)

    async def validate_cancel_confirmed(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        if value is None:
            return {slots.CANCEL_CONFIRMED: None}
        if value is not True:
            return {slots.CANCEL_CONFIRMED: False, slots.OUTCOME: {"kept": True}}
        current = chosen_appointment(tracker)
        try:
            cancelled = await run_blocking(
                clinic_operations().cancel,
                int(current["id"]),
                tracker.get_slot(slots.PATIENT_ID),
                tracker.get_slot(slots.PHONE_NUMBER),
            )
        except AppointmentNotFound:
            dispatcher.utter_message(text="Ce rendez-vous n'est plus dans l'agenda.")
            return {slots.CANCEL_CONFIRMED: True, slots.OUTCOME: {"missing": True}}
        except SQLAlchemyError:
            logger.exception("cancellation failed")
            return self.fail(dispatcher, tracker, slots.CANCEL_CONFIRMED, CALENDAR_UNAVAILABLE)
        logger.info("cancelled appointment %s", cancelled.id)
        return {slots.CANCEL_CONFIRMED: True, slots.OUTCOME: {"cancelled": cancelled.id, **current}}


class ActionAskCancelConfirmed(Action):
    def name(self) -> Text:
        return "action_ask_cancel_confirmed"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[Text, Any]]:
        current = chosen_appointment(tracker)
        if before_hanging_up(tracker):
            dispatcher.utter_message(
                text=not_yet_saved(f"l'annulation du rendez-vous du {say_appointment(current)}"),
                **expecting(YES_NO),
            )
            return []
        dispatcher.utter_message(
            text=f"Vous souhaitez annuler le rendez-vous du {say_appointment(current)}. Je confirme l'annulation ?",
            **expecting(YES_NO),
        )
        return []


class ActionCancelDone(FormDoneAction):
    def name(self) -> Text:
        return "action_cancel_done"

    def said_outcome(
        self, dispatcher: CollectingDispatcher, outcome: Dict[Text, Any]
    ) -> Optional[List[Dict[Text, Any]]]:
        if outcome.get("cancelled"):
            dispatcher.utter_message(
                text=f"C'est fait, votre rendez-vous du {say_appointment(outcome)} est annulé. "
                f"{ANYTHING_ELSE}"
            )
        elif outcome.get("kept"):
            dispatcher.utter_message(
                text=f"D'accord, je n'annule rien. Votre rendez-vous est maintenu. {ANYTHING_ELSE}"
            )
        else:
            return None
        return []
