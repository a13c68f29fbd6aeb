"""One call's listening chain: audio → preroll → VAD → turn events → recognition.

:meth:`Listener.hear` takes each 16 kHz chunk of the caller's audio. The recognition
follows the turn events itself (begin with the preroll and the hint, pause, resume,
cancel a backchannel); every event is then handed to ``on_event`` for the call to act
on (stop the bot on a barge-in, queue the turn at its end: :meth:`Listener.finish`).
:class:`Preroll` keeps the audio just before a turn is noticed, so that its first
syllable is recognised.
"""
from __future__ import annotations

import asyncio
from collections import deque
from typing import Awaitable, Callable, Deque, Optional, Tuple

import numpy as np

from voice_channel.audio.pcm import SAMPLE_RATE
from voice_channel.listening.recognition import RecognitionStage
from voice_channel.listening.turn_taking import (
    Backchannel, PauseStarted, SpeechResumed, SpeechStarted, TurnEvent, TurnSettings, TurnTaking,
)
from voice_channel.listening.vad import VoiceActivityDetector
from voice_channel.stt.base import Transcript
from voice_channel.stt.hints import RecognitionHint

OnEvent = Callable[[TurnEvent], Awaitable[None]]


class Preroll:
    """The last ``ms`` of 16 kHz audio heard outside a turn (at least; whole chunks are kept)."""

    def __init__(self, ms: float) -> None:
        self.limit = int(ms * SAMPLE_RATE / 1000)
        self._chunks: Deque[np.ndarray] = deque()
        self._samples = 0

    def add(self, pcm: np.ndarray) -> None:
        self._chunks.append(pcm)
        self._samples += len(pcm)
        while self._chunks and self._samples - len(self._chunks[0]) >= self.limit:
            self._samples -= len(self._chunks.popleft())

    def take(self) -> np.ndarray:
        """The audio kept, oldest first; the preroll is then empty."""
        audio = (np.concatenate(list(self._chunks)) if self._chunks
                 else np.zeros(0, dtype=np.int16))
        self._chunks.clear()
        self._samples = 0
        return audio


class Listener:
    def __init__(self, vad: VoiceActivityDetector, turn_settings: TurnSettings,
                 recognition: RecognitionStage, preroll_ms: float, *,
                 now: Callable[[], float], hint: Callable[[], RecognitionHint],
                 bot_speaking: Callable[[], bool], on_event: OnEvent) -> None:
        """``now``: the call's clock; ``hint``: what the bot has just asked;
        ``bot_speaking``: whether the bot's audio is still playing."""
        self.vad = vad
        self.turns = TurnTaking(turn_settings)
        self.recognition = recognition
        self.preroll = Preroll(preroll_ms)
        self.now = now
        self.hint = hint
        self.bot_speaking = bot_speaking
        self.on_event = on_event
        self._last_speech: Optional[float] = None  # clock time of the last speech window

    @property
    def in_speech(self) -> bool:
        return self.turns.in_speech

    async def hear(self, pcm: np.ndarray) -> None:
        if self.turns.in_speech:
            self.recognition.feed(pcm)
        else:
            self.preroll.add(pcm)
        for window in self.vad.process(pcm):
            for event in self.turns.update(window.end_ms, window.duration_ms, window.speech,
                                           self.bot_speaking()):
                self._follow(event)
                await self.on_event(event)
            if window.speech:
                self._last_speech = self.now()

    def _follow(self, event: TurnEvent) -> None:
        if isinstance(event, SpeechStarted):
            self.recognition.begin(self.hint(), self.preroll.take())
        elif isinstance(event, PauseStarted):
            self.recognition.pause()
        elif isinstance(event, SpeechResumed):
            self.recognition.resume()
        elif isinstance(event, Backchannel):
            self.recognition.cancel()

    def finish(self) -> Tuple["asyncio.Task[Transcript]", float]:
        """At the end of a turn: its transcript (a task) and when the caller stopped speaking."""
        task = asyncio.ensure_future(self.recognition.finish())
        return task, self._last_speech or self.now()

    def cancel(self) -> None:
        self.recognition.cancel()
