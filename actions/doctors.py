"""Which of the clinic's doctors the caller named: by the NLU's ``doctor`` entity
(« avec le docteur Dubois »), by a word that is a doctor's last name (« plutôt Dubois »,
at the read-back's correction), or earlier in the conversation (the ``doctor`` slot).

One reading for the booking's time search, the move's search and the read-back's
« changer de médecin ».
"""
from __future__ import annotations

import re
from typing import Any, Dict, Iterable, List, Optional

from rasa_sdk import Tracker

from actions import slots
from clinic.config import ClinicConfig, Doctor
from clinic.operations import ClinicOperations, same_name


def doctor_by_name(config: ClinicConfig, name: Any) -> Optional[Doctor]:
    """The clinic's doctor whose last name is the last word of ``name``, if any."""
    words = str(name or "").split()
    if not words:
        return None
    return next((d for d in config.doctors if same_name(d.last_name, words[-1])), None)


def doctor_named(config: ClinicConfig, message: Dict[str, Any],
                 any_word: bool = False) -> Optional[Doctor]:
    """The doctor ``message`` names by its ``doctor`` entities, or, with ``any_word``,
    by any of its words."""
    said: Iterable[Any] = _entity_values(message)
    if any_word:
        said = [*said, *re.findall(r"[^\W\d_]+", message.get("text") or "")]
    return next((d for d in (doctor_by_name(config, name) for name in said) if d), None)


def preferred_doctor_id(operations: ClinicOperations, tracker: Tracker) -> Optional[str]:
    """The doctor the caller asked for, if the clinic has one: named in the answer about
    the time, or earlier in the request."""
    wanted = tracker.get_slot(slots.DOCTOR)
    if tracker.get_slot(slots.REQUESTED_SLOT) in (slots.BOOKING_TIME, slots.NEW_TIME):
        named = _entity_values(tracker.latest_message or {})
        wanted = named[0] if named else wanted
    doctor = doctor_by_name(operations.config, wanted)
    return doctor.id if doctor else None


def _entity_values(message: Dict[str, Any]) -> List[Any]:
    return [e.get("value") for e in message.get("entities") or [] if e.get("entity") == "doctor"]
