"""Every caller turn gets an answer, in every channel.

The dialogue may end a turn with nothing to say (a policy that predicts listening).
On a phone line that sounds like a dead line, and in a chat like a broken page. The
channels pass Rasa's messages through :func:`answered`: with no text and no payload,
the caller hears :data:`NOTHING_TO_SAY`, which says what the assistant can do.
"""
from __future__ import annotations

from typing import Any, Dict, List

NOTHING_TO_SAY = ("Excusez-moi, je n'ai pas bien compris. Je peux prendre, déplacer ou "
                  "annuler un rendez-vous, ou vous passer l'accueil du cabinet.")
END_CALL = "end_call"  # a payload of the dialogue's goodbye: the phone call then ends


def said_something(messages: List[Dict[str, Any]]) -> bool:
    return any((isinstance(m.get("text"), str) and m["text"].strip()) or m.get("custom")
               for m in messages)


def answered(messages: List[Dict[str, Any]], recipient: str) -> List[Dict[str, Any]]:
    """``messages``, or the one that says what the assistant can do when they say nothing."""
    if said_something(messages):
        return messages
    return [*messages, {"recipient_id": recipient, "text": NOTHING_TO_SAY}]


def ends_the_call(messages: List[Dict[str, Any]]) -> bool:
    return any(isinstance(m.get("custom"), dict) and m["custom"].get("event") == END_CALL
               for m in messages)
