"""Booking an appointment: the form's validation, its questions, and the end.

The appointment is written when the caller says "oui" to the read-back, inside
the validation of ``booking_confirmed``: a slot taken in the meantime sends the
caller back to the choice of a time, with the nearest free slots offered. A
patient or phone number that already holds the most upcoming appointments
clinic.yml allows hears it as soon as the identity is known (and again at the
read-back if it changed meanwhile); the form then ends with the offer of a person.
"""
from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError

from conversation_names import STAFF, channel_of
from actions import slots
from actions.clinic_action import ClinicAction, Events
from clinic.operations import ClinicOperations
from clinic.records import (PatientAlreadyBooked, PatientDetails, PatientMismatch,
                            PatientNotRegistered, SlotTaken, TooManyUpcoming, same_name)
from actions.clinic_service import clinic_operations, run_blocking
from actions.no_file_number import identity_slots
from actions.expected_answer import DATE, YES_NO, expecting
from actions.form_done import FormDoneAction
from actions.confirmation import ConfirmationQuestion
from actions.booking_correction import BookingCorrection, corrected_inline
from actions.doctors import preferred_doctor_id
from actions.form_validation import ClinicFormValidation
from actions.identity_check import IdentityCheck, caller_key
from actions.name_answers import value_before_the_answer
from clinic.scheduling import Slot, SlotRejected
from actions.appointment_lookup import say_appointment
from spoken_french.say import say_digits, say_phone
from spoken_french.numbers import mask_patient_id
from actions.time_answers import (
    CALENDAR_UNAVAILABLE,
    offers_after_conflict,
)
from actions.time_wish import (
    explain_rejection,
    say_offers,
    slot_from_value,
    slot_to_value,
)

logger = logging.getLogger(__name__)

REFUSED_UPCOMING_LIMIT = {"refused": "upcoming_limit"}


def booked_slot(appointment) -> Slot:
    return Slot(appointment.start, appointment.end, appointment.doctor_id)


def say_upcoming_limit(problem: TooManyUpcoming) -> str:
    """Why no more appointment can be booked, and the offer of a person."""
    if problem.scope == "caller":
        return (
            f"J'ai déjà pris {problem.limit} rendez-vous aujourd'hui depuis cette ligne : "
            "c'est le maximum que je peux prendre. Pour un autre rendez-vous, voulez-vous "
            "que je vous passe l'accueil ?"
        )
    holder = "Vous avez" if problem.scope == "patient" else "Ce numéro de téléphone a"
    return (
        f"{holder} déjà {problem.limit} rendez-vous à venir : c'est le maximum que je peux "
        "prendre par téléphone. Pour un autre rendez-vous, voulez-vous que je vous passe "
        "l'accueil ?"
    )


def booking_caller(tracker: Tracker) -> Optional[str]:
    """Whose bookings are capped per day: the caller's key, except in the staff chat
    (staff book for many patients)."""
    key = caller_key(tracker)
    return None if channel_of(key) == STAFF else key


def _refused(tracker: Tracker) -> bool:
    return bool((tracker.get_slot(slots.OUTCOME) or {}).get("refused"))


class ValidateBookingForm(BookingCorrection, ClinicFormValidation):
    confirmation_slot = slots.BOOKING_CONFIRMED

    def name(self) -> Text:
        return "validate_booking_form"

    def slots_needed(self, tracker: Tracker) -> List[Text]:
        required = [slots.LAST_NAME, slots.FIRST_NAME] + [
            slot for slot in identity_slots(tracker) if slot not in (slots.LAST_NAME, slots.FIRST_NAME)
        ]
        if _refused(tracker):  # nothing more to ask: the form ends
            return required
        required.append(slots.BOOKING_TIME)
        if tracker.get_slot(slots.CORRECTION_PENDING):
            required.append(slots.BOOKING_CORRECTION)
        required.append(slots.BOOKING_CONFIRMED)
        return required

    # -- identity ----------------------------------------------------------------

    async def identity_accepted(self, check: IdentityCheck) -> Optional[Dict[Text, Any]]:
        """A known patient ID must match the name and phone on file; an unknown one
        is a new patient, unless clinic.yml accepts registered patients only."""
        operations, patient_id, phone, tracker = (check.operations, check.patient_id,
                                                  check.phone, check.tracker)
        known = await run_blocking(operations.find_patient, patient_id)
        if known is None:  # a new patient: never when found by name (none was)
            if operations.config.security.registered_patients_only or tracker.get_slot(
                slots.NO_FILE_NUMBER
            ):
                return None
        elif not (
            known.phone_e164 == phone
            and same_name(known.last_name, tracker.get_slot(slots.LAST_NAME) or "")
            and same_name(known.first_name, tracker.get_slot(slots.FIRST_NAME) or "")
        ):
            return None
        try:
            await run_blocking(operations.check_upcoming_limits, patient_id, phone,
                               booking_caller(tracker))
        except TooManyUpcoming as problem:
            check.dispatcher.utter_message(text=say_upcoming_limit(problem), **expecting(YES_NO))
            return {**check.result, slots.OUTCOME: REFUSED_UPCOMING_LIMIT}
        return check.result

    # -- time --------------------------------------------------------------------

    async def validate_booking_time(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        asked = tracker.get_slot(slots.REQUESTED_SLOT) == slots.BOOKING_TIME
        if tracker.get_slot(slots.REQUESTED_SLOT) in (slots.PATIENT_ID, slots.PHONE_NUMBER):
            # Digits being dictated, not a date (« 06 12 34 » is 6 December 2034 to
            # Duckling): the time said before stays.
            return {slots.BOOKING_TIME: value_before_the_answer(tracker, slots.BOOKING_TIME)}
        return await self.validate_time_answer(
            slots.BOOKING_TIME, dispatcher, tracker,
            preferred_doctor_id(clinic_operations(), tracker), prefill=not asked,
        )

    # -- read-back and correction --------------------------------------------------

    async def validate_booking_confirmed(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        if value is False:
            if corrected_inline(tracker):  # "non, vendredi à 10h": read back again
                return {slots.BOOKING_CONFIRMED: None}
            return {slots.BOOKING_CONFIRMED: None, slots.CORRECTION_PENDING: True}
        if value is not True:
            return {slots.BOOKING_CONFIRMED: None}
        return await self._book(dispatcher, tracker)

    async def _book(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> Dict[Text, Any]:
        operations = clinic_operations()
        chosen = slot_from_value(tracker.get_slot(slots.CHOSEN_SLOT))
        patient = PatientDetails(
            clinic_patient_id=tracker.get_slot(slots.PATIENT_ID),
            first_name=tracker.get_slot(slots.FIRST_NAME),
            last_name=tracker.get_slot(slots.LAST_NAME),
            phone_e164=tracker.get_slot(slots.PHONE_NUMBER),
        )
        doctor_id = preferred_doctor_id(operations, tracker)
        try:
            booked = await run_blocking(operations.book, patient, chosen.start, chosen.doctor_id,
                                        caller_key=booking_caller(tracker))
        except (SlotTaken, SlotRejected) as problem:
            explanation = (
                explain_rejection(problem.reason, operations)
                if isinstance(problem, SlotRejected)
                else "Ce créneau vient d'être pris."
            )
            return await self._offer_again(dispatcher, chosen, doctor_id, explanation)
        except PatientAlreadyBooked:
            dispatcher.utter_message(text="Vous avez déjà un rendez-vous à ce moment-là.")
            return await self._offer_again(dispatcher, chosen, doctor_id, "")
        except TooManyUpcoming as problem:
            dispatcher.utter_message(text=say_upcoming_limit(problem), **expecting(YES_NO))
            return {slots.BOOKING_CONFIRMED: True, slots.OUTCOME: REFUSED_UPCOMING_LIMIT}
        except (PatientMismatch, PatientNotRegistered):
            return await self._identity_refused_at_booking(operations, patient, dispatcher, tracker)
        except SQLAlchemyError:
            logger.exception("booking failed")
            return self.fail(dispatcher, tracker, slots.BOOKING_CONFIRMED, CALENDAR_UNAVAILABLE)
        logger.info(
            "booked appointment %s for patient %s", booked.id, mask_patient_id(booked.clinic_patient_id)
        )
        return {
            slots.BOOKING_CONFIRMED: True,
            slots.OUTCOME: {"booked": booked.id, **slot_to_value(booked_slot(booked))},
        }

    async def _identity_refused_at_booking(
        self,
        operations: ClinicOperations,
        patient: PatientDetails,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
    ) -> Dict[Text, Any]:
        try:
            check = IdentityCheck(operations, patient.clinic_patient_id, patient.phone_e164, {},
                                  dispatcher, tracker)
            return await self.identity_refused(
                check, {slots.PHONE_NUMBER: None, slots.BOOKING_CONFIRMED: None})
        except SQLAlchemyError:
            logger.exception("recording a failed identity check failed")
            return self.fail(dispatcher, tracker, slots.BOOKING_CONFIRMED, CALENDAR_UNAVAILABLE)

    async def _offer_again(
        self, dispatcher: CollectingDispatcher, chosen, doctor_id: Optional[str], explanation: str
    ) -> Dict[Text, Any]:
        offers = await offers_after_conflict(clinic_operations(), chosen.start, doctor_id)
        if explanation:
            dispatcher.utter_message(text=explanation)
        return {
            slots.BOOKING_CONFIRMED: None,
            slots.BOOKING_TIME: None,
            slots.CHOSEN_SLOT: None,
            slots.OFFERED_SLOTS: offers,
        }


class TimeQuestion(ClinicAction, ABC):
    """A form's time question: the offers found, or the open question."""

    @property
    @abstractmethod
    def question(self) -> Text:
        """The open question, when no offer is waiting."""

    def answer(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> Events:
        ask_time(dispatcher, tracker, self.question)
        return []


class ActionAskBookingTime(TimeQuestion):
    action_name = "action_ask_booking_time"
    question = "Quel jour et à quelle heure souhaitez-vous venir ?"


def ask_time(dispatcher: CollectingDispatcher, tracker: Tracker, question: str) -> None:
    """Offer the slots found, or ask the open question."""
    offers = [slot_from_value(v) for v in tracker.get_slot(slots.OFFERED_SLOTS) or []]
    if offers:
        dispatcher.utter_message(text=say_offers(offers, clinic_operations().now()),
                                 **expecting(DATE))
    else:
        dispatcher.utter_message(text=question, **expecting(DATE))


class ActionAskBookingConfirmed(ConfirmationQuestion):
    action_name = "action_ask_booking_confirmed"

    def pending(self, tracker: Tracker) -> str:
        return f"votre rendez-vous du {say_appointment(tracker.get_slot(slots.CHOSEN_SLOT))}"

    def read_back(self, tracker: Tracker) -> str:
        return (
            "Je récapitule : rendez-vous pour "
            f"{tracker.get_slot(slots.FIRST_NAME)} {tracker.get_slot(slots.LAST_NAME)}, "
            f"dossier {say_digits(tracker.get_slot(slots.PATIENT_ID))}, "
            f"téléphone {say_phone(tracker.get_slot(slots.PHONE_NUMBER))}, "
            f"le {say_appointment(tracker.get_slot(slots.CHOSEN_SLOT))}. "
            "Je confirme ?"
        )


class ActionBookingDone(FormDoneAction):
    action_name = "action_booking_done"

    def outcome_sentence(self, outcome: Dict[Text, Any]) -> Optional[str]:
        if outcome.get("booked"):
            return f"C'est noté. Votre rendez-vous est le {say_appointment(outcome)}."
        return None

    def outcome_events(self, outcome: Dict[Text, Any]) -> Optional[List[Dict[Text, Any]]]:
        if outcome.get("refused"):
            # The caller was just asked whether to speak to the reception.
            return [SlotSet(slots.HANDOFF_OFFERED, True)]
        return None
