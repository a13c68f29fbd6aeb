"""After « non » at the booking's read-back: what to correct, and the correction.

« Que faut-il corriger ? » — « le jour », « mon prénom », « changer de médecin »: the
field named (by an entity or a word) is emptied so that the form asks it again, unless
the same sentence already gave its new value (« non, mon prénom c'est Marie »); a change
of doctor searches the time again with the doctor named, or offers the doctors.
:class:`BookingCorrection` is mixed into :class:`actions.booking.ValidateBookingForm`.
"""
from __future__ import annotations

import re
from typing import Any, Dict, Optional, Text

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import slots
from actions.clinic_service import clinic_operations
from actions.doctors import doctor_named
from actions.latest_message import latest_intent
from spoken_french.say import say_list

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


class BookingCorrection:
    """``booking_correction``'s extraction and validation (uses the form's ``fail``)."""

    def _change_doctor(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> Dict[Text, Any]:
        """« changer de médecin », « plutôt avec le docteur Dubois »: the time is
        searched again with the doctor named, or with any doctor when none is named."""
        named = doctor_named(clinic_operations().config, tracker.latest_message or {}, any_word=True)
        named = named.last_name if named else None
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


def corrected_inline(tracker: Tracker) -> bool:
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
