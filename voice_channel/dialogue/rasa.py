"""Rasa as a phone call sees it: the caller's words in, the bot's messages out.

:func:`ask_rasa_through` turns the channel's ``on_new_message`` (Rasa's entry point for an
input channel) into the :class:`~.conversation.Dialogue` a call talks to. Each message
keeps the ``metadata`` Rasa sent it with (what a question expects, :mod:`.hint`). The
call bounds every wait itself (:mod:`.deadline`).
"""
from __future__ import annotations

from typing import Any, Awaitable, Callable, Dict, List, Optional, Text

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

# (sender, text, metadata) → the bot's messages.
AskRasa = Callable[[str, str, Optional[Dict[str, Any]]], Awaitable[List[Dict[str, Any]]]]


class ReplyCollector(CollectingOutputChannel):
    """Rasa's collecting output channel, keeping each text's ``metadata``."""

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        stored = len(self.messages)
        await super().send_text_message(recipient_id, text, **kwargs)
        metadata = kwargs.get("metadata")
        if metadata:
            for message in self.messages[stored:]:
                message["metadata"] = metadata


class RasaDialogue:
    """The :class:`~.conversation.Dialogue` of a call, over Rasa."""

    def __init__(self, ask_rasa: AskRasa) -> None:
        self._ask_rasa = ask_rasa

    async def say(self, sender: str, text: str,
                  metadata: Optional[Dict[str, Any]] = None) -> List[Dict[str, Any]]:
        return await self._ask_rasa(sender, text, metadata)


def ask_rasa_through(on_new_message: Callable[[UserMessage], Awaitable[Any]],
                     channel: str) -> AskRasa:
    """Ask Rasa through the channel's ``on_new_message``; the messages the bot sent back."""

    async def ask_rasa(sender: str, text: str,
                       metadata: Optional[Dict[str, Any]] = None) -> List[Dict[str, Any]]:
        collector = ReplyCollector()
        await on_new_message(
            UserMessage(text, collector, sender, input_channel=channel, metadata=metadata))
        return collector.messages

    return ask_rasa
