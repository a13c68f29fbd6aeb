"""What the caller just said, as the NLU read it (``tracker.latest_message``)."""
from __future__ import annotations

from typing import Optional

from rasa_sdk import Tracker


def latest_intent(tracker: Tracker) -> Optional[str]:
    """The intent of the caller's latest message, or None."""
    return ((tracker.latest_message or {}).get("intent") or {}).get("name")
