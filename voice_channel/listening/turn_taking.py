"""When the caller starts, pauses, resumes and finishes speaking; when they interrupt.

A pure state machine, driven by VAD windows timed in ms of call audio (no I/O, no
clock), so every rule is a unit test:

* speech **starts** after ``speech_start_ms`` of speech windows (a click is not a turn);
* at a short pause (``pause_ms``, 300 ms) :class:`PauseStarted` lets speculative
  recognition begin; speech again before the end of turn gives :class:`SpeechResumed`
  (the speculation is then stale);
* ``end_of_turn_ms`` (500 ms) of silence ends the turn: :class:`EndOfTurn`;
* while the bot speaks, speech sustained ``barge_in_ms`` (600 ms) is a
  :class:`BargeIn` (stop the bot, listen). Shorter speech that started while the bot
  spoke ("oui", "hum": backchannels are under ~400 ms) ends as a :class:`Backchannel`,
  to be dropped, and the bot goes on;
* an utterance longer than ``max_utterance_ms`` is ended there (someone talking in the
  background must not keep the turn open forever).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional, Union


@dataclass(frozen=True)
class TurnSettings:
    speech_start_ms: float = 90.0
    pause_ms: float = 300.0  # speculative recognition starts here (200 cut word ends)
    end_of_turn_ms: float = 500.0
    barge_in_ms: float = 600.0
    max_utterance_ms: float = 30000.0

    def __post_init__(self) -> None:
        if not 0 < self.pause_ms < self.end_of_turn_ms:
            raise ValueError("pause_ms must be positive and shorter than end_of_turn_ms")
        if self.speech_start_ms <= 0 or self.barge_in_ms <= 0:
            raise ValueError("speech_start_ms and barge_in_ms must be positive")


@dataclass(frozen=True)
class SpeechStarted:
    start_ms: float
    during_bot: bool


@dataclass(frozen=True)
class PauseStarted:
    speech_end_ms: float


@dataclass(frozen=True)
class SpeechResumed:
    at_ms: float


@dataclass(frozen=True)
class BargeIn:
    at_ms: float


@dataclass(frozen=True)
class EndOfTurn:
    start_ms: float
    speech_end_ms: float

    @property
    def duration_ms(self) -> float:
        return self.speech_end_ms - self.start_ms


@dataclass(frozen=True)
class Backchannel:
    start_ms: float
    speech_end_ms: float


TurnEvent = Union[SpeechStarted, PauseStarted, SpeechResumed, BargeIn, EndOfTurn, Backchannel]


class TurnTaking:
    """One call's turn state. Call :meth:`update` for every VAD window, in order."""

    def __init__(self, settings: TurnSettings = TurnSettings()) -> None:
        self.settings = settings
        self._speech_run_start: Optional[float] = None  # candidate start while quiet
        self._in_speech = False
        self._start_ms = 0.0
        self._during_bot = False
        self._barged = False
        self._silence_since: Optional[float] = None  # end of the last speech window
        self._last_speech_end = 0.0
        self._pause_sent = False

    @property
    def in_speech(self) -> bool:
        """The caller is in a turn (speaking, or in a pause that may still end it)."""
        return self._in_speech

    def reset(self) -> None:
        self.__init__(self.settings)

    def update(self, end_ms: float, duration_ms: float, speech: bool,
               bot_speaking: bool) -> List[TurnEvent]:
        s = self.settings
        events: List[TurnEvent] = []
        begin_ms = end_ms - duration_ms
        if not self._in_speech:
            if not speech:
                self._speech_run_start = None
                return events
            if self._speech_run_start is None:
                self._speech_run_start = begin_ms
            if end_ms - self._speech_run_start < s.speech_start_ms:
                return events
            self._in_speech = True
            self._start_ms = self._speech_run_start
            self._speech_run_start = None
            self._during_bot = bot_speaking
            self._barged = False
            self._silence_since = None
            self._pause_sent = False
            self._last_speech_end = end_ms
            events.append(SpeechStarted(self._start_ms, bot_speaking))
        elif speech:
            if self._pause_sent:
                events.append(SpeechResumed(begin_ms))
            self._silence_since = None
            self._pause_sent = False
            self._last_speech_end = end_ms
        else:
            if self._silence_since is None:
                self._silence_since = begin_ms
            silent = end_ms - self._silence_since
            if not self._pause_sent and silent >= s.pause_ms:
                self._pause_sent = True
                events.append(PauseStarted(self._last_speech_end))
            if silent >= s.end_of_turn_ms:
                events.append(self._finish())
                return events

        if self._in_speech:
            spoken = self._last_speech_end - self._start_ms
            if self._during_bot and not self._barged and bot_speaking and spoken >= s.barge_in_ms:
                self._barged = True
                events.append(BargeIn(end_ms))
            if end_ms - self._start_ms >= s.max_utterance_ms:
                events.append(self._finish())
        return events

    def _finish(self) -> TurnEvent:
        start, end = self._start_ms, self._last_speech_end
        backchannel = self._during_bot and not self._barged and end - start < self.settings.barge_in_ms
        self._in_speech = False
        self._silence_since = None
        self._pause_sent = False
        self._speech_run_start = None
        return Backchannel(start, end) if backchannel else EndOfTurn(start, end)
