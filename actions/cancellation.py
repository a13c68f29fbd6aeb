"""Cancelling an appointment: identity, which appointment, confirmation.

The row is kept with status ``cancelled``.
"""
from __future__ import annotations

import logging
from typing import Any, Dict, Optional, Text

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError

from actions import slots
from actions.appointment_lookup import (AppointmentLookupValidation, chosen_appointment,
                                        say_appointment)
from clinic.operations import AppointmentNotFound
from actions.clinic_service import clinic_operations, run_blocking
from actions.confirmation import ConfirmationQuestion
from actions.form_done import FormDoneAction

logger = logging.getLogger(__name__)


class ValidateCancelForm(AppointmentLookupValidation):
    after_the_choice = (slots.CANCEL_CONFIRMED,)

    def name(self) -> Text:
        return "validate_cancel_form"

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
            return self.appointment_gone(dispatcher)
        except SQLAlchemyError:
            return self.calendar_failed(dispatcher, tracker, "cancellation")
        logger.info("cancelled appointment %s", cancelled.id)
        return {slots.CANCEL_CONFIRMED: True, slots.OUTCOME: {"cancelled": cancelled.id, **current}}


class ActionAskCancelConfirmed(ConfirmationQuestion):
    action_name = "action_ask_cancel_confirmed"

    def pending(self, tracker: Tracker) -> str:
        current = chosen_appointment(tracker)
        return f"l'annulation du rendez-vous du {say_appointment(current)}"

    def read_back(self, tracker: Tracker) -> str:
        current = chosen_appointment(tracker)
        return (f"Vous souhaitez annuler le rendez-vous du {say_appointment(current)}. "
                "Je confirme l'annulation ?")


class ActionCancelDone(FormDoneAction):
    action_name = "action_cancel_done"

    def outcome_sentence(self, outcome: Dict[Text, Any]) -> Optional[str]:
        if outcome.get("cancelled"):
            return f"C'est fait, votre rendez-vous du {say_appointment(outcome)} est annulé."
        if outcome.get("kept"):
            return "D'accord, je n'annule rien. Votre rendez-vous est maintenu."
        return None
