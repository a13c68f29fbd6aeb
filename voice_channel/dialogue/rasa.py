"""Rasa as a phone call sees it: the caller's words in, the bot's messages out, and the hint.

:func:`rasa_dialogue` turns the channel's ``on_new_message`` (Rasa's entry point for an
input channel) and its hint reader into the :class:`~.conversation.Dialogue` a call
talks to. The call bounds every wait itself (:mod:`.deadline`).
"""
from __future__ import annotations

from typing import Any, Awaitable, Callable, Dict, List, Optional

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

from voice_channel.stt.hints import RecognitionHint

# (sender, text, metadata) → the bot's messages.
AskRasa = Callable[[str, str, Optional[Dict[str, Any]]], Awaitable[List[Dict[str, Any]]]]
HintFor = Callable[[str], Awaitable[RecognitionHint]]


class RasaDialogue:
    """The :class:`~.conversation.Dialogue` of a call, over Rasa."""

    def __init__(self, ask_rasa: AskRasa, hint_for: HintFor) -> None:
        self._ask_rasa = ask_rasa
        self._hint_for = hint_for

    async def say(self, sender: str, text: str,
                  metadata: Optional[Dict[str, Any]] = None) -> List[Dict[str, Any]]:
        return await self._ask_rasa(sender, text, metadata)

    async def hint(self, sender: str) -> RecognitionHint:
        return await self._hint_for(sender)


def ask_rasa_through(on_new_message: Callable[[UserMessage], Awaitable[Any]],
                     channel: str) -> AskRasa:
    """Ask Rasa through the channel's ``on_new_message``; the messages the bot sent back."""

    async def ask_rasa(sender: str, text: str,
                       metadata: Optional[Dict[str, Any]] = None) -> List[Dict[str, Any]]:
        collector = CollectingOutputChannel()
        await on_new_message(
            UserMessage(text, collector, sender, input_channel=channel, metadata=metadata))
        return collector.messages

    return ask_rasa
