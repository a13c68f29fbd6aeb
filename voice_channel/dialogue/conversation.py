"""One call's conversation with the dialogue: its sender, its metadata, deadlines, its end.

Every message of an admitted call goes to the dialogue under the admission's opaque
``sender`` with the admission's ``metadata`` (merged with the message's own, e.g. a
barge-in's), and under a deadline (:func:`.deadline.ask_with_deadline`: a late
request raises :class:`~.deadline.DialogueTimeout` and finishes in the background).
:meth:`Conversation.close` starts a new session for the sender when the call ends, so
that nobody can go on with the half-filled form of a call that is over.
"""
from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional, Protocol

from voice_channel.dialogue.deadline import DialogueTimeout, ask_with_deadline

logger = logging.getLogger(__name__)

# A new Rasa session (slots emptied, forms closed).
SESSION_START = "/session_start"


class Dialogue(Protocol):
    """The dialogue stage (Rasa) as the call sees it."""

    async def say(self, sender: str, text: str,
                  metadata: Optional[Dict[str, Any]] = None) -> List[Dict[str, Any]]:
        """Send the caller's text; the bot's messages (``text`` and/or ``custom``).

        A handoff is a message with ``custom`` ``{"event": "handoff", "transfer_to":
        "+33…", "reason": …}``. ``metadata`` goes with the caller's message (Rasa keeps
        it on the user event): the admission's (the line…), and after a barge-in,
        ``{"barge_in": {"replies": [{"text": …, "seconds": …, "heard_seconds": …}, …]}}``,
        what the bot was saying and how much of each reply had played when the caller
        cut in.
        """


class Conversation:
    def __init__(self, dialogue: Dialogue, sender: str, metadata: Dict[str, Any], *,
                 timeout: float, call_sid: Optional[str]) -> None:
        """``timeout``: real seconds for each message."""
        self.dialogue = dialogue
        self.sender = sender
        self.metadata = dict(metadata)
        self.timeout = timeout
        self.call_sid = call_sid

    def metadata_with(self, extra: Optional[Dict[str, Any]] = None) -> Optional[Dict[str, Any]]:
        merged = {**self.metadata, **(extra or {})}
        return merged or None

    async def say(self, text: str, what: str,
                  extra: Optional[Dict[str, Any]] = None) -> List[Dict[str, Any]]:
        """The bot's messages; DialogueTimeout past the deadline. ``what`` names it in logs."""
        return await ask_with_deadline(
            self.dialogue.say(self.sender, text, self.metadata_with(extra)), self.timeout,
            what, self.call_sid)

    async def close(self, timeout: float) -> None:
        """A new session for the sender, waiting ``timeout`` real seconds at most; never raises."""
        try:
            await ask_with_deadline(
                self.dialogue.say(self.sender, SESSION_START, self.metadata_with()), timeout,
                "session close", self.call_sid)
            logger.info("call %s: dialogue session closed", self.call_sid)
        except DialogueTimeout:
            logger.warning("call %s: dialogue session not closed in time (%.1f s): left to "
                           "finish in the background", self.call_sid, timeout)
        except Exception as error:
            logger.warning("call %s: dialogue session not closed (%s)", self.call_sid,
                           type(error).__name__)
