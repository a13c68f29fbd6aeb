"""A phone call's settings, from ``credentials.yml`` (``phone:``), with each stage's defaults."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from voice_channel.call.keypad import DEFAULT_PAUSE_SECONDS
from voice_channel.listening.turn_taking import TurnSettings
from voice_channel.listening.vad import DEFAULT_THRESHOLD

GREET = "/greet"


@dataclass(frozen=True)
class PhoneCallSettings:
    # Turn-taking (voice_channel.listening.turn_taking): one default, there.
    end_of_turn_ms: float = TurnSettings.end_of_turn_ms
    pause_ms: float = TurnSettings.pause_ms  # speculative recognition starts here
    speech_start_ms: float = TurnSettings.speech_start_ms
    barge_in_ms: float = TurnSettings.barge_in_ms
    max_utterance_seconds: float = TurnSettings.max_utterance_ms / 1000.0
    vad: str = "silero"  # or "energy"
    vad_threshold: float = DEFAULT_THRESHOLD  # measured over µ-law: see listening.vad
    # Audio kept from before the turn was declared, so that its first syllable reaches
    # the recognizer ("Je m'appelle" lost its "Je" with 300 ms).
    preroll_ms: float = 600.0
    recognition_mode: str = "auto"  # "utterance" (Whisper), "streaming" (Vosk), "auto"
    speculative: bool = True
    silence_timeout: float = 8.0  # s after the bot finished speaking
    # s a call may last: then the caller hears the too_long goodbye and the line is
    # freed (a forgotten or scripted call must not hold a line for hours).
    max_call_seconds: float = 900.0
    max_reprompts: int = 2
    keypad_pause: float = DEFAULT_PAUSE_SECONDS
    idle_timeout: float = 20.0  # s without any frame: the stream is dead
    mark_grace: float = 2.0
    lead_frames: int = 2
    max_protocol_errors: int = 50
    max_turn_errors: int = 3
    greeting: Optional[str] = GREET
    # Every call starts a new Rasa session (slots emptied, forms closed): a patient who
    # calls back within the session expiry must not land in the middle of the last
    # call's form; and its session is closed the same way when it ends.
    new_session: bool = True  # send SESSION_START to the dialogue before the greeting
    end_session: bool = True  # and again when an accepted call ends (its form is closed)
    session_close_timeout: float = 3.0  # s: the end of a call never waits longer on Rasa
    start_timeout: float = 5.0  # s from the connection to a valid ``start``
    # Twilio sends 20 ms every 20 ms; network jitter and our own event-loop pauses bunch
    # frames. A server that reads a new stream's ``start`` late (a loaded 2-core machine:
    # 2.6 s of a real-time caller's audio arrived within 0.6 s of its ``start`` in the
    # e2e tests, load average 4) sees that backlog as audio ahead of its clock. 5 s ahead
    # is no phone line, and a client pushing a file at 10x real time is still cut off
    # after ~0.55 s.
    max_audio_ahead_seconds: float = 5.0
    # s for the dialogue to answer a turn or the greeting; with synthesis and the first
    # frames, the caller hears the apology well within 10 s of the end of their turn.
    dialogue_timeout: float = 7.0

    def turn_settings(self) -> TurnSettings:
        return TurnSettings(speech_start_ms=self.speech_start_ms, pause_ms=self.pause_ms,
                            end_of_turn_ms=self.end_of_turn_ms, barge_in_ms=self.barge_in_ms,
                            max_utterance_ms=self.max_utterance_seconds * 1000.0)
