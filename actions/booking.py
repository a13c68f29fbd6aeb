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
import re
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError

from actions import slots
from actions.clinic_operations import (
    ClinicOperations,
    PatientAlreadyBooked,
    PatientDetails,
    PatientMismatch,
    PatientNotRegistered,
    SlotTaken,
    TooManyUpcoming,
    same_name,
)
from actions.clinic_service import clinic_operations, run_blocking
from actions.no_file_number import identity_slots
from actions.expected_answer import DATE, YES_NO, expecting
from actions.form_done import ANYTHING_ELSE, FormDoneAction
from actions.latest_message import latest_intent
from actions.confirmation import before_hanging_up, confirmation_answer, not_yet_saved
from actions.form_validation import (
    STAFF_CALLER_PREFIX,
    ClinicFormValidation,
    caller_key,
    value_before_the_answer,
)
from actions.scheduling import Slot, SlotRejected
from actions.appointment_lookup import say_appointment
from spoken_french.say import say_digits, say_list, say_phone
from spoken_french.numbers import mask_patient_id
from actions.time_answers import (
    CALENDAR_UNAVAILABLE,
    offers_after_conflict,
    preferred_doctor_id,
)
from actions.time_wish import (
    explain_rejection,
    say_offers,
    slot_from_value,
    slot_to_value,
)

logger = logging.getLogger(__name__)

REFUSED_UPCOMING_LIMIT = {"refused": "upcoming_limit"}
# What the caller may ask to correct after "non" at the read-back.
_CORRECTIONS = (
    (re.compile(r"m[ée]decin|docteure?\b|\bdr\b|toubib", re.I), slots.DOCTOR),
    (re.compile(r"pr[ée]nom", re.I), slots.FIRST_NAME),
    (re.compile(r"\bnom\b", re.I), slots.LAST_NAME),
    (re.compile(r"dossier|identifiant|num[ée]ro (?:de )?patient", re.I), slots.PATIENT_ID),
    (re.compile(r"t[ée]l[ée]phone|portable|mobile|num[ée]ro", re.I), slots.PHONE_NUMBER),
    (re.compile(r"date|heure|jour|cr[ée]neau|horaire|moment|rendez", re.I), slots.BOOKING_TIME),
)
# Intents that stay themselves even when a field is named.
_NOT_A_CORRECTION = ("stop", "emergency", "ask_human", "goodbye", "ask_repeat")
_CORRECTION_ENTITIES = {
    "first_name": slots.FIRST_NAME,
    "last_name": slots.LAST_NAME,
    "patient_id": slots.PATIENT_ID,
    "phone_number": slots.PHONE_NUMBER,
    "time": slots.BOOKING_TIME,
    "doctor": slots.DOCTOR,
}


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
    return None if key.startswith(STAFF_CALLER_PREFIX) else key


def _refused(tracker: Tracker) -> bool:
    return bool((tracker.get_slot(slots.OUTCOME) or {}).get("refused"))


class ValidateBookingForm(ClinicFormValidation):
    def name(self) -> Text:
        return "validate_booking_form"

    async def required_slots(
        self,
        domain_slots: List[Text],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> List[Text]:
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

    async def identity_accepted(
        self,
        operations: ClinicOperations,
        patient_id: str,
        phone: str,
        result: Dict[Text, Any],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
    ) -> Optional[Dict[Text, Any]]:
        """A known patient ID must match the name and phone on file; an unknown one
        is a new patient, unless clinic.yml accepts registered patients only."""
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
            dispatcher.utter_message(text=say_upcoming_limit(problem), **expecting(YES_NO))
            return {**result, slots.OUTCOME: REFUSED_UPCOMING_LIMIT}
        return result

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

    async def extract_booking_confirmed(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        return confirmation_answer(tracker, slots.BOOKING_CONFIRMED)

    async def validate_booking_confirmed(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        if value is False:
            if _corrected_inline(tracker):  # "non, vendredi à 10h": read back again
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
            return await self.identity_refused(
                operations, patient.clinic_patient_id, dispatcher, tracker,
                {slots.PHONE_NUMBER: None, slots.BOOKING_CONFIRMED: None},
            )
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

    def _change_doctor(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> Dict[Text, Any]:
        """« changer de médecin », « plutôt avec le docteur Dubois »: the time is
        searched again with the doctor named, or with any doctor when none is named."""
        named = _doctor_named(tracker)
        if named is None:
            doctors = say_list([d.spoken_name for d in clinic_operations().config.doctors],
                               last_word="ou")
            dispatcher.utter_message(
                text=f"D'accord. Vous pouvez venir avec {doctors}. "
                "Dites-moi le médecin avec le moment qui vous convient."
            )
        return {slots.DOCTOR: named, slots.BOOKING_TIME: None, slots.CHOSEN_SLOT: None,
                slots.OFFERED_SLOTS: []}

    async def extract_booking_correction(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        """« Que faut-il corriger ? » — « changer de médecin », « le jour »: an answer
        that names a field is the answer, whatever intent it was given (« changer »
        is not a wish to move an appointment here)."""
        if (tracker.get_slot(slots.REQUESTED_SLOT) != slots.BOOKING_CORRECTION
                or latest_intent(tracker) in _NOT_A_CORRECTION or _field_to_correct(tracker) is None):
            return {}
        return {slots.BOOKING_CORRECTION: (tracker.latest_message or {}).get("text")}

    async def validate_booking_correction(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        field = _field_to_correct(tracker)
        if field is None:
            return self.fail(
                dispatcher, tracker, slots.BOOKING_CORRECTION,
                "Je n'ai pas compris ce qu'il faut corriger.",
            )
        changes: Dict[Text, Any] = {
            slots.BOOKING_CORRECTION: None,
            slots.CORRECTION_PENDING: False,
            slots.BOOKING_CONFIRMED: None,
        }
        if field == slots.DOCTOR:
            return {**changes, **self._change_doctor(dispatcher, tracker)}
        # A new value given in the same sentence ("non, mon prénom c'est Marie") has
        # just been validated: keep it. Otherwise clear the field so the form asks it.
        if field not in tracker.slots_to_validate():
            changes[field] = None
            if field == slots.BOOKING_TIME:
                changes[slots.CHOSEN_SLOT] = None
                changes[slots.OFFERED_SLOTS] = []
        return changes


def _doctor_named(tracker: Tracker) -> Optional[str]:
    """The clinic's doctor named in the latest message (entity or « docteur X »)."""
    message = tracker.latest_message or {}
    said = [str(e.get("value") or "") for e in message.get("entities") or []
            if e.get("entity") == "doctor"]
    words = re.findall(r"[^\W\d_]+", message.get("text") or "")
    for doctor in clinic_operations().config.doctors:
        if any(same_name(doctor.last_name, name.split()[-1]) for name in said if name.split()):
            return doctor.last_name
        if any(same_name(doctor.last_name, word) for word in words):
            return doctor.last_name
    return None


def _corrected_inline(tracker: Tracker) -> bool:
    """Whether the caller's "non" came with a new value for one of the fields."""
    return any(field in tracker.slots_to_validate() for field in _CORRECTION_ENTITIES.values())


def _field_to_correct(tracker: Tracker) -> Optional[str]:
    message = tracker.latest_message or {}
    for entity in message.get("entities") or []:
        field = _CORRECTION_ENTITIES.get(entity.get("entity"))
        if field:
            return field
    text = message.get("text") or ""
    for pattern, field in _CORRECTIONS:
        if pattern.search(text):
            return field
    return None


class ActionAskBookingTime(Action):
    def name(self) -> Text:
        return "action_ask_booking_time"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[Text, Any]]:
        ask_time(dispatcher, tracker, "Quel jour et à quelle heure souhaitez-vous venir ?")
        return []


def ask_time(dispatcher: CollectingDispatcher, tracker: Tracker, question: str) -> None:
    """Offer the slots found, or ask the open question."""
    offers = [slot_from_value(v) for v in tracker.get_slot(slots.OFFERED_SLOTS) or []]
    if offers:
        dispatcher.utter_message(text=say_offers(offers, clinic_operations().now()),
                                 **expecting(DATE))
    else:
        dispatcher.utter_message(text=question, **expecting(DATE))


class ActionAskBookingConfirmed(Action):
    def name(self) -> Text:
        return "action_ask_booking_confirmed"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[Text, Any]]:
        if before_hanging_up(tracker):
            dispatcher.utter_message(
                text=not_yet_saved(
                    f"votre rendez-vous du {say_appointment(tracker.get_slot(slots.CHOSEN_SLOT))}"
                ),
                **expecting(YES_NO),
            )
            return []
        dispatcher.utter_message(
            text=(
                "Je récapitule : rendez-vous pour "
                f"{tracker.get_slot(slots.FIRST_NAME)} {tracker.get_slot(slots.LAST_NAME)}, "
                f"dossier {say_digits(tracker.get_slot(slots.PATIENT_ID))}, "
                f"téléphone {say_phone(tracker.get_slot(slots.PHONE_NUMBER))}, "
                f"le {say_appointment(tracker.get_slot(slots.CHOSEN_SLOT))}. "
                "Je confirme ?"
            ),
            **expecting(YES_NO),
        )
        return []


class ActionBookingDone(FormDoneAction):
    def name(self) -> Text:
        return "action_booking_done"

    def said_outcome(
        self, dispatcher: CollectingDispatcher, outcome: Dict[Text, Any]
    ) -> Optional[List[Dict[Text, Any]]]:
        if outcome.get("booked"):
            dispatcher.utter_message(
                text=f"C'est noté. Votre rendez-vous est le {say_appointment(outcome)}. {ANYTHING_ELSE}"
            )
            return []
        if outcome.get("refused"):
            # The caller was just asked whether to speak to the reception.
            return [SlotSet(slots.HANDOFF_OFFERED, True)]
        return None
