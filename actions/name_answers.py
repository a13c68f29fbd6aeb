"""A caller's name in an answer: cleaned of lead-ins and fillers, taken only from words
said as the caller's own name, spelled letter by letter, never the other name's answer.

Used by the three forms' validation (:mod:`actions.form_validation`): « euh je
m'appelle Dupont » is « Dupont », « alors, Poirier » is « Poirier », « avec le docteur
Martin » is no patient's name, and « R, O, U, X » is « Roux ».
"""
from __future__ import annotations

import re
from typing import Any, Dict, Optional, Text

from rasa_sdk import Tracker

from actions import slots
from spoken_french.hesitations import BEFORE_A_NAME
from spoken_french.spelling import spelled_word

_NAME_LEAD_INS = re.compile(
    rf"^(?:{BEFORE_A_NAME}(?:\s+|$))*"
    r"(?:(?:je m'appelle|je m appelle|mon nom (?:de famille )?(?:c'est|est)|"
    r"mon prénom (?:c'est|est)|moi c'est|il s'agit de|c'est|nom|prénom)(?:\s+|$))?"
    r"(?:(?:madame|monsieur|mademoiselle|mme|mr)\b\.?\s*|m\.\s*)?",
    re.IGNORECASE,
)
_PAUSED_FILLERS = re.compile(r"^(?:(?:euh+|heu+|ben|bah|bon|alors|donc)\s*(?:\.{2,}|…|,)\s*)+",
                             re.IGNORECASE)
_ON_THE_LINE = re.compile(r"\s+(?:à l'appareil|au téléphone|au bout du fil|ici)$", re.IGNORECASE)
_NAME = re.compile(r"^[^\W\d_]+(?:[ '\-][^\W\d_]+){0,3}$")


def clean_name(text: Optional[str]) -> Optional[str]:
    """A person's name from an answer ("euh je m'appelle Dupont" -> "Dupont", "alors,
    Poirier" -> "Poirier", "Bernard Roux à l'appareil" -> "Bernard Roux")."""
    if not text:
        return None
    said = _PAUSED_FILLERS.sub("", text.strip())  # « ben... Martin »: not « Ben Martin »
    said = " ".join(re.sub(r"\.{2,}|…|[,;:!?]", " ", said).split()).rstrip(". ")
    said = _ON_THE_LINE.sub("", said)
    candidate = _NAME_LEAD_INS.sub("", said).strip()
    if not candidate or not _NAME.match(candidate) or len(candidate) > 60:
        return None
    return " ".join(
        "-".join(part[:1].upper() + part[1:].lower() for part in word.split("-"))
        for word in candidate.split()
    )


_OTHER_NAME = {slots.LAST_NAME: slots.FIRST_NAME, slots.FIRST_NAME: slots.LAST_NAME}


def answered_the_other_name(tracker: Tracker, slot: str, value: Any) -> bool:
    """Whether ``value`` for a name ``slot`` is in fact the whole answer to the other
    name's question. The domain maps the ``first_name`` and ``last_name`` entities
    whatever is asked, and DIET labels « Marie-Claire » a last name or « Michel » a
    first name: asked the first name, « Marie-Claire » must not replace the last name.
    (A full name, « Claire Durand », differs from each of its parts and still fills
    both.)"""
    if tracker.get_slot(slots.REQUESTED_SLOT) != _OTHER_NAME[slot]:
        return False
    said = clean_name((tracker.latest_message or {}).get("text"))
    return said is not None and clean_name(str(value or "")) == said


# Where a name said is the caller's (or corrects it); None: the request itself.
_NAME_QUESTIONS = (slots.LAST_NAME, slots.FIRST_NAME, slots.BOOKING_CORRECTION,
                   slots.BOOKING_CONFIRMED, None)
_INTRODUCES_A_NAME = re.compile(
    r"\b(?:je m'appelle|je m appelle|mon nom|mon prénom|nom de famille|moi c'est"
    r"|de la part de|madame|monsieur|mademoiselle)\b",
    re.IGNORECASE,
)
_DOCTOR_BEFORE = r"(?:docteur|docteure|dr\.?|médecin|medecin)\s+(?:\w+\s+)?"


def said_as_a_name(tracker: Tracker, slot: str, value: Any) -> bool:
    """Whether ``value``, a name the NLU found, was said as the caller's own name: a
    slot is filled only from words said in that role. Not a doctor's name (« avec le
    docteur Martin »), and, while another question is asked (the phone, the date),
    only in a sentence that introduces a name (« nonante-deux » is not a surname)."""
    message = tracker.latest_message or {}
    text = message.get("text") or ""
    name = str(value or "").strip()
    if not name:
        return True
    if re.search(_DOCTOR_BEFORE + re.escape(name) + r"\b", text, re.IGNORECASE):
        return False
    doctors = [e.get("value") for e in message.get("entities") or [] if e.get("entity") == "doctor"]
    if any(str(d or "").strip().casefold().endswith(name.casefold()) for d in doctors):
        return False
    if tracker.get_slot(slots.REQUESTED_SLOT) in _NAME_QUESTIONS:
        return True
    return _INTRODUCES_A_NAME.search(text) is not None


def spelled_answer(tracker: Tracker, slot: str) -> Dict[Text, Any]:
    """A name spelled letter by letter when it is asked (« R, O, U, X »), whatever
    intent the NLU gave it (« R, O » reads like « OK »: ``affirm``)."""
    if tracker.get_slot(slots.REQUESTED_SLOT) != slot:
        return {}
    text = (tracker.latest_message or {}).get("text") or ""
    return {slot: text} if spelled_word(text) else {}


def value_before_the_answer(tracker: Tracker, slot: str) -> Any:
    """The value ``slot`` had before the latest user message."""
    events = list(tracker.events or [])
    users = [i for i, event in enumerate(events) if event.get("event") == "user"]
    value = None
    for event in events[: users[-1] if users else len(events)]:
        if event.get("event") == "slot" and event.get("name") == slot:
            value = event.get("value")
    return value
