"""The bot's voice in a call: replies synthesized and played, and what a barge-in cut.

:meth:`BotVoice.speak` plays replies one after the other and returns once they are
played, or as soon as the caller interrupts (:meth:`BotVoice.interrupt`, unless the
replies are not interruptible: a goodbye, a transfer). An interruption records what
the bot was saying and how much of each reply had played; the caller's next message
to the dialogue carries it (:meth:`BotVoice.take_barge_in`).
"""
from __future__ import annotations

from typing import Any, Awaitable, Callable, Dict, List, Optional, Protocol, Tuple

import numpy as np

from voice_channel.call.lifetime import CallEnded, CallLifetime
from voice_channel.tts.base import SpeechSynthesizer

SendEvent = Callable[[Dict[str, Any]], Awaitable[None]]


class Output(Protocol):
    """Where the bot's audio goes (the transport's playback)."""

    @property
    def speaking(self) -> bool: ...

    def enqueue(self, pcm: np.ndarray, sample_rate: int) -> str: ...

    async def drain(self) -> None: ...

    def heard(self) -> Dict[str, float]: ...

    def interrupt(self) -> None: ...


class BotVoice:
    def __init__(self, synthesizer: SpeechSynthesizer, output: Output, send_event: SendEvent,
                 lifetime: CallLifetime, on_queued: Callable[[], None] = lambda: None) -> None:
        self.synthesizer = synthesizer
        self.on_queued = on_queued  # an answer is synthesized and queued (the stage log)
        self.output = output
        self.send_event = send_event
        self.lifetime = lifetime
        self._generation = 0  # bumped by barge-in: the worker stops speaking that reply
        # The replies of the bot's current turn (mark name → text, seconds), and what
        # the last barge-in cut (sent with the caller's next message, then dropped).
        self._replies: Dict[str, Tuple[str, float]] = {}
        self._barge_in: Optional[Dict[str, Any]] = None

    @property
    def speaking(self) -> bool:
        return self.output.speaking

    async def speak(self, texts: List[str], interruptible: bool = True) -> None:
        """Synthesize and play ``texts``; returns once played (or cut by barge-in)."""
        generation = self._generation
        self._replies = {}
        for text in texts:
            if self._generation != generation and interruptible:
                return
            await self.send_event({"event": "bot", "text": text})
            speech = await self.synthesizer.synthesize_async(text)
            if self._generation != generation and interruptible:
                return
            if self.lifetime.ended:
                raise CallEnded()
            samples = speech.samples()
            name = self.output.enqueue(samples, speech.sample_rate)
            self.on_queued()
            self._replies[name] = (text, round(len(samples) / speech.sample_rate, 2))
        await self.output.drain()

    def interrupt(self) -> None:
        """The caller cut in: stop the current replies, remember what they heard of them.
        Never waits (it runs in the call's read loop, which must go on reading)."""
        self._generation += 1
        heard = self.output.heard()
        self._barge_in = {"replies": [
            {"text": text, "seconds": seconds, "heard_seconds": heard.get(name, 0.0)}
            for name, (text, seconds) in self._replies.items()]}
        self.output.interrupt()

    def take_barge_in(self) -> Optional[Dict[str, Any]]:
        """What the last barge-in cut, once (for the caller's next message)."""
        barge_in, self._barge_in = self._barge_in, None
        return barge_in
