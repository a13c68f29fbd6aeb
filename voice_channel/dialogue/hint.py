"""What the bot has just asked, as a hint for recognition.

Whisper hears short answers far better when told what to expect: a date, a phone
number, a patient ID, yes or no, a name. The dialogue says it with each question: the
question's message carries ``metadata: {"expect": <kind>}`` (the domain's responses, and
the questions the actions write, ``actions/expected_answer.py``). The phone call reads
it from the reply it has just received (:func:`hint_from_reply`: nothing more to ask
Rasa before speaking); the HTTP turn, which has no reply in hand, from the conversation's
last bot event (:func:`hint_from_tracker_store`, the voice channel's only read of Rasa's
tracker store).
"""
from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional

from rasa.shared.core.trackers import EventVerbosity

from voice_channel.clinic_facts import ClinicFactsError, patient_id_digits
from voice_channel.stt.hints import EXPECTED_KINDS, RecognitionHint

logger = logging.getLogger(__name__)

EXPECT_KEY = "expect"


def hint_from_reply(messages: List[Dict[str, Any]]) -> RecognitionHint:
    """The hint for the answer to the reply's last text (messages as the channel
    collected them, each with the ``metadata`` Rasa sent it with)."""
    texts = [m for m in messages if m.get("text")]
    if not texts:
        return RecognitionHint()
    last = texts[-1]
    return _hint(last["text"], (last.get("metadata") or {}).get(EXPECT_KEY))


def hint_from_events(events: List[Dict[str, Any]]) -> RecognitionHint:
    """The hint for the answer to the conversation's last bot text (tracker events;
    a bot event keeps its message's ``metadata`` inside its own)."""
    for event in reversed(events):
        if event.get("event") == "bot" and event.get("text"):
            said = (event.get("metadata") or {}).get("metadata") or {}
            return _hint(event["text"], said.get(EXPECT_KEY))
        if event.get("event") == "user":
            break
    return RecognitionHint()


def _hint(question: str, expect: Optional[str]) -> RecognitionHint:
    if expect not in EXPECTED_KINDS:
        if expect is not None:
            logger.warning("unknown expected answer %r: free speech expected", expect)
        expect = "free"
    digits = None
    if expect == "patient_id":
        try:
            digits = patient_id_digits()
        except ClinicFactsError as error:  # a hint is a bonus: never fail the turn for it
            logger.warning("no patient ID length for the hint: %s", error)
    return RecognitionHint(expected=expect, question=question, digits=digits)


async def hint_from_tracker_store(agent: Any, sender: str) -> RecognitionHint:
    """The hint for ``sender``'s next answer, from Rasa's tracker store (``agent`` is the
    Rasa server's; without one, or when the read fails, the hint expects free speech)."""
    tracker = None
    if agent is not None and agent.tracker_store is not None:
        try:
            tracker = await agent.tracker_store.retrieve(sender)
        except Exception:  # a hint is a bonus: never fail the turn for it
            logger.exception("could not read the conversation for a recognition hint")
    if tracker is None:
        return RecognitionHint()
    return hint_from_events(tracker.current_state(EventVerbosity.AFTER_RESTART).get("events") or [])
