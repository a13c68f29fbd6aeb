"""Finding the caller's appointment before moving or cancelling it.

The patient ID and the phone number must both match the record; otherwise
nothing about any appointment is revealed (the failed check is counted, see
:mod:`actions.form_validation`). With several upcoming appointments the caller
picks one ("le deuxième", "celui de mardi").
"""
from __future__ import annotations

import logging
from abc import ABC
from datetime import datetime
from typing import Any, Dict, List, Optional, Text, Tuple

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import slots
from actions.clinic_action import ClinicAction, Events
from actions.choices import pick_offered_slot
from actions.expected_answer import DATE, expecting
from clinic.operations import AppointmentDetails
from actions.clinic_service import clinic_operations, run_blocking
from actions.duckling_client import first_time_entity
from actions.form_validation import ClinicFormValidation
from actions.identity_check import IdentityCheck
from actions.name_answers import spelled_answer
from actions.latest_message import latest_intent
from actions.time_answers import CALENDAR_UNAVAILABLE
from actions.no_file_number import identity_slots
from spoken_french.say import say_datetime, say_list
from actions.time_entities import wished_time_from_entity

logger = logging.getLogger(__name__)

_ORDINALS = ("le premier", "le deuxième", "le troisième", "le quatrième", "le cinquième")


def appointment_to_value(appointment: AppointmentDetails) -> Dict[str, Any]:
    return {
        "id": appointment.id,
        "start": appointment.start.isoformat(),
        "doctor_id": appointment.doctor_id,
    }


def say_appointment(value: Dict[str, Any]) -> str:
    """ "mardi 1er décembre à 9 heures, avec la docteure Martin" """
    operations = clinic_operations()
    start = datetime.fromisoformat(value["start"])
    doctor = operations.config.doctor(value["doctor_id"]).spoken_name
    return f"{say_datetime(start, operations.now().date())}, avec {doctor}"


def chosen_appointment(tracker: Tracker) -> Optional[Dict[str, Any]]:
    wanted = tracker.get_slot(slots.APPOINTMENT_ID)
    for value in tracker.get_slot(slots.UPCOMING_APPOINTMENTS) or []:
        if str(value["id"]) == str(wanted):
            return value
    return None


# Intents that are not an answer to a name question.
_NOT_A_NAME = ("stop", "ask_human", "emergency", "ask_repeat", "book_appointment",
               "reschedule_appointment", "cancel_appointment", "goodbye", "affirm", "deny")


def name_answer(tracker: Tracker, slot: str) -> Dict[Text, Any]:
    """The whole answer to a name question (no file number: the names are asked), when
    no name entity filled it: the domain maps bare answers to names in the booking form
    only."""
    if tracker.get_slot(slots.REQUESTED_SLOT) != slot or slot in tracker.slots_to_validate():
        return {}
    if latest_intent(tracker) in _NOT_A_NAME:
        return {}
    return {slot: (tracker.latest_message or {}).get("text") or None}


class AppointmentLookupValidation(ClinicFormValidation, ABC):
    """Identity then choice of appointment, for the move and cancel forms."""

    # What the form asks once the appointment is chosen; the last is « Je confirme ? ».
    after_the_choice: Tuple[Text, ...]

    @property
    def confirmation_slot(self) -> Text:
        return self.after_the_choice[-1]

    def appointment_gone(self, dispatcher: CollectingDispatcher) -> Dict[Text, Any]:
        """The appointment left the calendar before the change was written."""
        dispatcher.utter_message(text="Ce rendez-vous n'est plus dans l'agenda.")
        return {self.confirmation_slot: True, slots.OUTCOME: {"missing": True}}

    def calendar_failed(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                        what: str) -> Dict[Text, Any]:
        """The database failed while writing the change: said, and counted."""
        logger.exception("%s failed", what)
        return self.fail(dispatcher, tracker, self.confirmation_slot, CALENDAR_UNAVAILABLE)

    def slots_needed(self, tracker: Tracker) -> List[Text]:
        identity = identity_slots(tracker)
        if tracker.get_slot(slots.IDENTITY_VERIFIED) and not tracker.get_slot(
            slots.UPCOMING_APPOINTMENTS
        ):
            return identity  # nothing to move or cancel
        return identity + [slots.APPOINTMENT_ID, *self.after_the_choice]

    async def extract_last_name(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        return spelled_answer(tracker, slots.LAST_NAME) or name_answer(tracker, slots.LAST_NAME)

    async def extract_first_name(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        return spelled_answer(tracker, slots.FIRST_NAME) or name_answer(tracker, slots.FIRST_NAME)

    async def identity_accepted(self, check: IdentityCheck) -> Optional[Dict[Text, Any]]:
        """ID and phone of one file: its upcoming appointments (None otherwise)."""
        operations, patient_id, phone = check.operations, check.patient_id, check.phone
        if not await run_blocking(operations.verify_identity, patient_id, phone):
            return None
        upcoming = await run_blocking(operations.upcoming_appointments, patient_id, phone)
        values = {
            **check.result,
            slots.IDENTITY_VERIFIED: True,
            slots.UPCOMING_APPOINTMENTS: [appointment_to_value(a) for a in upcoming],
        }
        dispatcher = check.dispatcher
        if not upcoming:
            dispatcher.utter_message(text="Merci. Je ne trouve aucun rendez-vous à venir à votre nom.")
        elif len(upcoming) == 1:
            only = appointment_to_value(upcoming[0])
            dispatcher.utter_message(text=f"Merci. Votre rendez-vous est le {say_appointment(only)}.")
            values[slots.APPOINTMENT_ID] = str(only["id"])
        return values

    async def validate_appointment_id(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        upcoming = tracker.get_slot(slots.UPCOMING_APPOINTMENTS) or []
        starts = [datetime.fromisoformat(a["start"]) for a in upcoming]
        message = tracker.latest_message or {}
        entity = first_time_entity(message.get("entities"))
        timezone = str(clinic_operations().config.timezone)
        wish = wished_time_from_entity(entity, timezone) if entity else None
        exact = wish.start if wish is not None and wish.kind == "instant" else None
        picked = pick_offered_slot(message.get("text") or str(value or ""), starts, exact)
        if picked is None and wish is not None:
            same_day = [s for s in starts if wish.contains(s) or s.date() == wish.start.date()]
            picked = same_day[0] if len(same_day) == 1 else None
        if picked is None:
            return self.fail(
                dispatcher, tracker, slots.APPOINTMENT_ID,
                "Je n'ai pas compris lequel. Dites par exemple : le premier.",
            )
        return self.succeed(tracker, {slots.APPOINTMENT_ID: str(upcoming[starts.index(picked)]["id"])})


class ActionAskAppointmentId(ClinicAction):
    action_name = "action_ask_appointment_id"

    def answer(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> Events:
        upcoming = tracker.get_slot(slots.UPCOMING_APPOINTMENTS) or []
        verb = "déplacer" if tracker.active_loop_name == slots.RESCHEDULE_FORM else "annuler"
        listed = say_list(
            [f"{_ORDINALS[i] if i < len(_ORDINALS) else ''}, le {say_appointment(a)}"
             for i, a in enumerate(upcoming)]
        )
        dispatcher.utter_message(
            text=f"Vous avez {len(upcoming)} rendez-vous à venir : {listed}. Lequel voulez-vous {verb} ?",
            **expecting(DATE),
        )
        return []
