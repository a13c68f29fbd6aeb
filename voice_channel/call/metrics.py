"""What a call measures: each turn's timings (no text) and the call's counters."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

logger = logging.getLogger(__name__)


@dataclass
class TurnTiming:
    """One caller turn, timed (seconds); no text."""

    kind: str  # "speech" or "keypad"
    audio_seconds: float = 0.0
    recognition_seconds: Optional[float] = None  # end of turn → transcript
    speculation_used: Optional[bool] = None
    dialogue_seconds: Optional[float] = None
    accepted: Optional[bool] = None
    voice_to_voice: Optional[float] = None  # end of caller speech → first bot audio frame

    def as_dict(self) -> Dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class CallMetrics:
    """The call's counters and timed turns; :meth:`on_audio_start` closes a turn's latency."""

    call_sid: Optional[str] = None
    turns: List[TurnTiming] = field(default_factory=list)
    barge_ins: int = 0
    backchannels: int = 0
    recognition_busy: int = 0  # turns not recognised: no recognition slot
    dialogue_timeouts: int = 0
    transferred_to: Optional[str] = None
    # The turn whose first bot audio is awaited: (timing, clock time the caller stopped).
    _waiting: Optional[tuple] = None

    def record(self, timing: TurnTiming, speech_end: Optional[float]) -> None:
        """``timing`` is done but for its voice-to-voice, measured at the next bot audio."""
        if timing not in self.turns:
            self.turns.append(timing)
        self._waiting = (timing, speech_end)

    def on_audio_start(self, now: float) -> None:
        """The first frame of the bot's answer is played (the playback's callback)."""
        waiting, self._waiting = self._waiting, None
        if waiting is None or waiting[1] is None:
            return
        timing, speech_end = waiting
        timing.voice_to_voice = max(0.0, now - speech_end)
        logger.info("call %s: turn %d (%s): voice-to-voice %.2f s (recognition %s s, "
                    "speculation %s, dialogue %s s)", self.call_sid, len(self.turns),
                    timing.kind, timing.voice_to_voice, _fmt(timing.recognition_seconds),
                    timing.speculation_used, _fmt(timing.dialogue_seconds))


    def log_end(self, reason: Optional[str], close_code: int, seconds: float, reprompts: int,
                protocol_errors: Dict[str, int]) -> None:
        logger.info("call %s ended (%s, close %d) after %.1f s: %d turns, %d barge-ins, "
                    "%d backchannels ignored, %d re-prompts, %d not recognised (busy), "
                    "%d dialogue timeouts, protocol errors %s",
                    self.call_sid, reason, close_code, seconds, len(self.turns), self.barge_ins,
                    self.backchannels, reprompts, self.recognition_busy,
                    self.dialogue_timeouts, protocol_errors or "none")


def _fmt(value: Optional[float]) -> str:
    return "-" if value is None else f"{value:.2f}"
