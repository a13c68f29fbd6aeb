"""What a call measures: each turn's timings (no text) and the call's counters.

Each turn carries the clock times of its stages (:data:`STAGES`), and when its first
answer frame goes out, one log line gives how long each stage took, in milliseconds,
from the caller's last word to that frame (the greeting: from the call's start).
No text, no number: only the call's identifier and the turn's index.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

logger = logging.getLogger(__name__)

# A turn's stages, in order, each stamped with the call clock's time when it ends:
# the caller stops speaking (a greeting: the call starts), the end of turn is detected
# (silence long enough), the transcript is ready, Rasa has answered, the first answer
# is synthesized and queued, its first frame is sent.
STAGES = ("spoken", "end_of_turn", "recognition", "rasa", "first_tts_frame",
          "first_frame_sent")


@dataclass
class TurnTiming:
    """One caller turn (or the greeting), timed; no text."""

    kind: str  # "speech", "keypad" or "greeting"
    audio_seconds: float = 0.0
    recognition_seconds: Optional[float] = None  # end of turn → transcript
    speculation_used: Optional[bool] = None
    dialogue_seconds: Optional[float] = None
    accepted: Optional[bool] = None
    voice_to_voice: Optional[float] = None  # end of caller speech → first bot audio frame
    stamps: Dict[str, float] = field(default_factory=dict)  # stage → clock time it ended

    def mark(self, stage: str, at: float) -> None:
        """``stage`` ended at ``at`` (call clock seconds); the first stamp stays."""
        if stage not in STAGES:
            raise ValueError(f"unknown stage {stage!r}")
        self.stamps.setdefault(stage, at)

    def stage_ms(self) -> Dict[str, int]:
        """Each stamped stage's duration since the previous stamped one (ms)."""
        durations: Dict[str, int] = {}
        previous = None
        for stage in STAGES:
            at = self.stamps.get(stage)
            if at is None:
                continue
            if previous is not None:
                durations[stage] = round(max(0.0, at - previous) * 1000)
            previous = at
        return durations

    def as_dict(self) -> Dict[str, Any]:
        data = {k: v for k, v in self.__dict__.items() if k != "stamps"}
        data["stage_ms"] = self.stage_ms()
        return data


@dataclass
class CallMetrics:
    """The call's counters and timed turns; :meth:`on_audio_start` closes a turn's latency."""

    call_sid: Optional[str] = None
    turns: List[TurnTiming] = field(default_factory=list)
    greeting: Optional[TurnTiming] = None
    barge_ins: int = 0
    backchannels: int = 0
    recognition_busy: int = 0  # turns not recognised: no recognition slot
    dialogue_timeouts: int = 0
    transferred_to: Optional[str] = None
    # The turn whose first bot audio is awaited.
    _waiting: Optional[TurnTiming] = None

    def call_started(self, now: float) -> TurnTiming:
        """The call starts: its greeting is timed from now."""
        self.greeting = TurnTiming("greeting")
        self.greeting.mark("spoken", now)
        self._waiting = self.greeting
        return self.greeting

    def record(self, timing: TurnTiming, speech_end: Optional[float]) -> None:
        """``timing`` is done but for its voice-to-voice, measured at the next bot audio."""
        if timing.kind != "greeting" and timing not in self.turns:
            self.turns.append(timing)
        if speech_end is not None:
            timing.mark("spoken", speech_end)
        self._waiting = timing

    def on_synthesized(self, now: float) -> None:
        """The first answer of the awaited turn is synthesized and queued to be played."""
        if self._waiting is not None:
            self._waiting.mark("first_tts_frame", now)

    def on_audio_start(self, now: float) -> None:
        """The first frame of the bot's answer is played (the playback's callback)."""
        timing, self._waiting = self._waiting, None
        if timing is None or "spoken" not in timing.stamps:
            return
        timing.mark("first_frame_sent", now)
        timing.voice_to_voice = max(0.0, now - timing.stamps["spoken"])
        index = "greeting" if timing.kind == "greeting" else f"turn {len(self.turns)}"
        speculation = {True: "kept", False: "redone", None: "none"}[timing.speculation_used]
        stages = ", ".join(f"{stage} {ms}" for stage, ms in timing.stage_ms().items())
        logger.info("call %s: %s (%s) stages ms: %s; speculation %s; voice-to-voice %d",
                    self.call_sid, index, timing.kind, stages or "-", speculation,
                    round(timing.voice_to_voice * 1000))

    def log_end(self, reason: Optional[str], close_code: int, seconds: float, reprompts: int,
                protocol_errors: Dict[str, int]) -> None:
        logger.info("call %s ended (%s, close %d) after %.1f s: %d turns, %d barge-ins, "
                    "%d backchannels ignored, %d re-prompts, %d not recognised (busy), "
                    "%d dialogue timeouts, protocol errors %s",
                    self.call_sid, reason, close_code, seconds, len(self.turns), self.barge_ins,
                    self.backchannels, reprompts, self.recognition_busy,
                    self.dialogue_timeouts, protocol_errors or "none")
