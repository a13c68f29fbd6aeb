"""Speech-to-text for the voice channel: one interface, engines chosen by name.

Importing this package is cheap: faster-whisper and Vosk are imported by the engine
that needs them, when its model is first loaded.
"""
from voice_channel.stt.base import SpeechRecognizer, Transcript
from voice_channel.stt.guard import GuardThresholds
from voice_channel.stt.hints import EXPECTED_KINDS, RecognitionHint
from voice_channel.stt.registry import (
    DEFAULT_ENGINE,
    ENGINES,
    EngineUnavailable,
    UnknownEngine,
    available_engines,
    get_recognizer,
)

__all__ = [
    "SpeechRecognizer", "Transcript", "RecognitionHint", "EXPECTED_KINDS", "GuardThresholds",
    "DEFAULT_ENGINE", "ENGINES", "EngineUnavailable", "UnknownEngine", "available_engines",
    "get_recognizer",
]
