"""What the bot has just asked, read from the conversation, as a hint for recognition.

Whisper hears short answers far better when told what to expect: a date, a
phone number, a patient ID, yes or no, a name. This is the only module of the voice
channel that knows the domain's slot names and reads Rasa's tracker store.
"""
from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional

from rasa.shared.core.trackers import EventVerbosity

from voice_channel.clinic_facts import patient_id_digits
from voice_channel.stt.hints import RecognitionHint

logger = logging.getLogger(__name__)

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


async def hint_from_tracker_store(agent: Any, sender: str) -> RecognitionHint:
    """The hint for ``sender``'s next answer, from Rasa's tracker store (``agent`` is the
    Rasa server's; without one, or when the read fails, the hint expects free speech)."""
    tracker = None
    if agent is not None and agent.tracker_store is not None:
        try:
            tracker = await agent.tracker_store.retrieve(sender)
        except Exception:  # a hint is a bonus: never fail the turn for it
            logger.exception("could not read the conversation for a recognition hint")
    state = (
        tracker.current_state(EventVerbosity.AFTER_RESTART)
        if tracker is not None
        else {"slots": {}, "events": []}
    )
    return hint_from_tracker(
        state.get("slots") or {}, state.get("events") or [], patient_id_digits()
    )
