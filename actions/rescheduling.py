"""Moving an appointment: identity, which appointment, the new time, confirmation."""
from __future__ import annotations

import logging
from datetime import datetime
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError

from actions import slots
from actions.appointment_lookup import (AppointmentLookupValidation, chosen_appointment,
                                        say_appointment)
from actions.booking import TimeQuestion
from clinic.operations import AppointmentNotFound, PatientAlreadyBooked, SlotTaken
from actions.clinic_service import clinic_operations, run_blocking
from actions.confirmation import ConfirmationQuestion
from actions.form_done import FormDoneAction
from clinic.scheduling import SlotRejected
from actions.stated_new_time import offer_remembered_time, remember_new_time
from actions.doctors import preferred_doctor_id
from actions.time_answers import offers_after_conflict
from actions.time_wish import explain_rejection, slot_from_value

logger = logging.getLogger(__name__)


class ValidateRescheduleForm(AppointmentLookupValidation):
    after_the_choice = (slots.NEW_TIME, slots.RESCHEDULE_CONFIRMED)

    def name(self) -> Text:
        return "validate_reschedule_form"

    async def get_validation_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[Text, Any]]:
        """The form's validation, then the new time said in the request: kept until the
        appointment is chosen, then searched (:mod:`actions.stated_new_time`)."""
        remembered = await remember_new_time(tracker)
        tracker.slots.update(remembered)
        events = await super().get_validation_events(dispatcher, tracker, domain)
        current = chosen_appointment(tracker)  # the validation updated tracker.slots
        offered = await offer_remembered_time(dispatcher, tracker, current) if current else {}
        return events + [SlotSet(name, value) for name, value in {**remembered, **offered}.items()]

    async def validate_new_time(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        current = chosen_appointment(tracker)
        if current is None:  # the time came before the appointment was chosen
            return {slots.NEW_TIME: None}
        doctor_id = preferred_doctor_id(clinic_operations(), tracker) or current["doctor_id"]
        return await self.validate_time_answer(
            slots.NEW_TIME, dispatcher, tracker, doctor_id,
            exclude=datetime.fromisoformat(current["start"]),
        )

    async def validate_reschedule_confirmed(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        if value is not True:
            dispatcher.utter_message(text="D'accord, choisissons un autre moment.")
            return {
                slots.RESCHEDULE_CONFIRMED: None,
                slots.NEW_TIME: None,
                slots.CHOSEN_SLOT: None,
                slots.OFFERED_SLOTS: [],
            }
        operations = clinic_operations()
        current = chosen_appointment(tracker)
        chosen = slot_from_value(tracker.get_slot(slots.CHOSEN_SLOT))
        try:
            moved = await run_blocking(
                operations.reschedule,
                int(current["id"]),
                tracker.get_slot(slots.PATIENT_ID),
                tracker.get_slot(slots.PHONE_NUMBER),
                chosen.start,
                chosen.doctor_id,
            )
        except (SlotTaken, SlotRejected, PatientAlreadyBooked) as problem:
            explanation = {
                SlotTaken: "Ce créneau vient d'être pris.",
                PatientAlreadyBooked: "Vous avez déjà un rendez-vous à ce moment-là.",
            }.get(type(problem)) or explain_rejection(problem.reason, operations)
            dispatcher.utter_message(text=explanation)
            return {
                slots.RESCHEDULE_CONFIRMED: None,
                slots.NEW_TIME: None,
                slots.CHOSEN_SLOT: None,
                slots.OFFERED_SLOTS: await offers_after_conflict(
                    operations, chosen.start, chosen.doctor_id,
                    exclude=datetime.fromisoformat(current["start"]),
                ),
            }
        except AppointmentNotFound:
            return self.appointment_gone(dispatcher)
        except SQLAlchemyError:
            return self.calendar_failed(dispatcher, tracker, "rescheduling")
        logger.info("moved appointment %s", moved.id)
        return {
            slots.RESCHEDULE_CONFIRMED: True,
            slots.OUTCOME: {
                "moved": moved.id,
                "start": moved.start.isoformat(),
                "doctor_id": moved.doctor_id,
            },
        }


class ActionAskNewTime(TimeQuestion):
    action_name = "action_ask_new_time"
    question = "À quelle date et à quelle heure souhaitez-vous le déplacer ?"


class ActionAskRescheduleConfirmed(ConfirmationQuestion):
    action_name = "action_ask_reschedule_confirmed"

    def pending(self, tracker: Tracker) -> str:
        chosen = tracker.get_slot(slots.CHOSEN_SLOT)
        return f"le déplacement de votre rendez-vous au {say_appointment(chosen)}"

    def read_back(self, tracker: Tracker) -> str:
        current = chosen_appointment(tracker)
        chosen = tracker.get_slot(slots.CHOSEN_SLOT)
        return (f"Je récapitule : votre rendez-vous du {say_appointment(current)}, "
                f"est déplacé au {say_appointment(chosen)}. Je confirme ?")


class ActionRescheduleDone(FormDoneAction):
    action_name = "action_reschedule_done"

    def outcome_sentence(self, outcome: Dict[Text, Any]) -> Optional[str]:
        if not outcome.get("moved"):
            return None
        return f"C'est fait. Votre rendez-vous est maintenant le {say_appointment(outcome)}."
