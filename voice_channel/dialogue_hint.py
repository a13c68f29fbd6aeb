"""What the bot has just asked, read from the conversation, as a hint for recognition.

Whisper hears short answers far better when told what to expect: a date, a
phone number, a patient ID, yes or no, a name.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional

from voice_channel.stt.hints import RecognitionHint

EXPECTED_BY_SLOT = {
    "patient_id": "patient_id",
    "phone_number": "phone",
    "booking_time": "date",
    "new_time": "date",
    "appointment_id": "date",
    "booking_confirmed": "yes_no",
    "reschedule_confirmed": "yes_no",
    "cancel_confirmed": "yes_no",
    "last_name": "name",
    "first_name": "name",
}


def hint_from_tracker(
    slots: Dict[str, Any], events: List[Dict[str, Any]], patient_id_digits: Optional[int]
) -> RecognitionHint:
    """The hint for the caller's next answer, from the tracker's slots and events."""
    expected = EXPECTED_BY_SLOT.get(slots.get("requested_slot") or "", "free")
    if expected == "free" and slots.get("handoff_offered"):
        expected = "yes_no"  # "Voulez-vous que je vous passe une personne ?"
    question = _last_bot_text(events)
    return RecognitionHint(
        expected=expected,
        question=question,
        digits=patient_id_digits if expected == "patient_id" else None,
    )


def _last_bot_text(events: List[Dict[str, Any]]) -> Optional[str]:
    for event in reversed(events):
        if event.get("event") == "bot" and event.get("text"):
            return event["text"]
        if event.get("event") == "user":
            return None
    return None
