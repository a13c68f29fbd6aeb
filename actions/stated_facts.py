"""A file number or a phone number said before the form asks for it.

« Bonjour, c'est Paul Girard, dossier 748941, je voudrais un rendez-vous après-demain,
mon numéro c'est le 06 72 07 73 36 »: the domain maps these numbers only when their
question is asked (a number said elsewhere is often something else: a date, a time).
Here a number fills its slot early only when the sentence names it: « dossier » or
« numéro de patient » before the file number; « téléphone », « portable », « mon
numéro », or the shape of a French phone number for the phone.
"""
from __future__ import annotations

import re
from typing import Any, Dict, Text

from rasa_sdk import Tracker

from actions import slots
from actions.clinic_service import clinic_operations
from spoken_french.numbers import normalize_phone, parse_patient_id

_UNTIL_NEXT_FACT = r"([^,;.!?]*?)(?=\s*(?:[,;.!?]|\bet\b|\bje\b|\bmon\b|\bma\b|$))"
_FILE_NUMBER = re.compile(
    r"(?:dossier|num[ée]ro (?:de )?patient|num[ée]ro de dossier)\s*(?:c'est\s*)?(?:le\s*)?"
    r"(?:n°|numéro)?\s*:?\s*" + _UNTIL_NEXT_FACT,
    re.IGNORECASE,
)
_PHONE_NAMED = re.compile(
    r"(?:t[ée]l[ée]phone|portable|mobile|mon num[ée]ro|me joindre au|me rappeler au)"
    r"\s*(?:c'est\s*)?(?:le\s*)?:?\s*" + _UNTIL_NEXT_FACT,
    re.IGNORECASE,
)
_PHONE_SHAPE = re.compile(r"(?:\+33\s?|\b0)[1-9](?:[\s.]?\d{2}){4}\b")


def stated_before_asked(tracker: Tracker, slot: str) -> Dict[Text, Any]:
    """``{slot: number}`` when the latest message names this number while another
    question is asked (or none yet) and the slot is still empty; else nothing."""
    if tracker.get_slot(slot) or tracker.get_slot(slots.REQUESTED_SLOT) == slot:
        return {}
    text = (tracker.latest_message or {}).get("text") or ""
    if slot == slots.PATIENT_ID:
        digits = clinic_operations().config.patient_id_digits
        for match in _FILE_NUMBER.finditer(text):
            found = parse_patient_id(match.group(1), digits)
            if found:
                return {slot: found}
    if slot == slots.PHONE_NUMBER:
        candidates = [m.group(1) for m in _PHONE_NAMED.finditer(text)]
        candidates += [m.group(0) for m in _PHONE_SHAPE.finditer(text)]
        for candidate in candidates:
            if normalize_phone(candidate):
                return {slot: candidate}
    return {}


def without_phone(text: str) -> str:
    """``text`` without the phone number it names (« 482913, et mon téléphone c'est le
    06 12 34 56 78 » → « 482913, et »): what is left may be the file number."""
    text = _PHONE_NAMED.sub(lambda m: " " if normalize_phone(m.group(1)) else m.group(0), text)
    return _PHONE_SHAPE.sub(" ", text)
