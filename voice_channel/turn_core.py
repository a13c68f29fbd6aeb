"""One caller turn's rules, the same over HTTP (``/audio``) and on the phone.

* A transcript the recognizer does not trust never reaches the dialogue: the caller
  hears the ``not_heard`` prompt (:func:`usable_text`).
* The dialogue may end a turn with nothing to say (a policy that predicts listening).
  On a phone line that sounds like a dead line, and in a chat like a broken page: with
  no text and no payload the caller hears the ``nothing_to_say`` prompt, which says what
  the assistant can do (:func:`answered` for the HTTP routes, :func:`reply_to` for a
  call). The prompts are the domain's (:mod:`voice_channel.dialogue.prompts`).
* :func:`reply_to` reads the dialogue's messages once: the texts to speak, a handoff
  (``custom`` ``{"event": "handoff", "transfer_to": …}``), a goodbye that ends the call
  (``custom`` ``{"event": "end_call"}``).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Optional

from voice_channel.dialogue.prompts import DEFAULT_PROMPTS
from voice_channel.stt.base import Transcript

END_CALL = "end_call"  # a payload of the dialogue's goodbye: the phone call then ends
HANDOFF = "handoff"  # a payload of the dialogue's transfer to a person


def usable_text(transcript: Transcript) -> Optional[str]:
    """The text to send to the dialogue, or None when the caller must be asked to repeat."""
    return transcript.text if transcript.accepted else None


def said_something(messages: List[Dict[str, Any]]) -> bool:
    return any((isinstance(m.get("text"), str) and m["text"].strip()) or m.get("custom")
               for m in messages)


def answered(messages: List[Dict[str, Any]], recipient: str,
             nothing_to_say: str = DEFAULT_PROMPTS.nothing_to_say) -> List[Dict[str, Any]]:
    """``messages``, or the one that says what the assistant can do when they say nothing."""
    if said_something(messages):
        return messages
    return [*messages, {"recipient_id": recipient, "text": nothing_to_say}]


def texts_to_say(messages: List[Dict[str, Any]]) -> List[str]:
    """The replies' texts, in order, leaving out empty ones."""
    return [m["text"] for m in messages if isinstance(m.get("text"), str) and m["text"].strip()]


def _payload(messages: List[Dict[str, Any]], event: str) -> Optional[Dict[str, Any]]:
    return next((m["custom"] for m in messages
                 if isinstance(m.get("custom"), dict) and m["custom"].get("event") == event), None)


def ends_the_call(messages: List[Dict[str, Any]]) -> bool:
    return _payload(messages, END_CALL) is not None


@dataclass
class Reply:
    """What the caller is told after a turn, and what happens then."""

    texts: List[str]
    handoff: Optional[Dict[str, Any]] = None  # transfer to ``handoff["transfer_to"]``
    ends_call: bool = False
    nothing_said: bool = False  # the dialogue said nothing: ``nothing_to_say`` stands in


def reply_to(messages: List[Dict[str, Any]], caller_turn: bool = True,
             nothing_to_say: str = DEFAULT_PROMPTS.nothing_to_say) -> Reply:
    """The reply to speak: ``nothing_to_say`` when a caller's turn got neither a text
    nor a handoff (the greeting may be silent)."""
    handoff = _payload(messages, HANDOFF)
    texts = texts_to_say(messages)
    nothing_said = not texts and handoff is None and caller_turn
    if nothing_said:
        texts = [nothing_to_say]
    return Reply(texts, handoff, ends_the_call(messages), nothing_said)
