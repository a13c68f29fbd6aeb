"""The process's speech engines, built once: the recognizer and the synthesizer every route shares.

Loading a model takes seconds and memory, so the first request that needs speech
(an ``/audio`` turn, ``?audio=true``, a phone call) loads both, in a worker thread;
later ones reuse them. Which engines comes from the channel's ``credentials.yml``.
"""
from __future__ import annotations

import threading
from typing import Any, Dict, Optional

from voice_channel.stt.base import SpeechRecognizer
from voice_channel.tts.base import SpeechSynthesizer


class SpeechEngines:
    def __init__(self, stt_engine: str, stt_model: Optional[str], tts_engine: str,
                 tts_options: Optional[Dict[str, Any]]) -> None:
        self.stt_engine = stt_engine
        self.stt_model = stt_model
        self.tts_engine = tts_engine
        self.tts_options = tts_options
        self.recognizer: Optional[SpeechRecognizer] = None
        self.synthesizer: Optional[SpeechSynthesizer] = None
        self._lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        return self.recognizer is not None

    def load(self) -> "SpeechEngines":
        """Both engines, built on first use (blocking: call it in a worker thread)."""
        with self._lock:
            if self.recognizer is None:
                from voice_channel.stt.registry import get_recognizer
                from voice_channel.tts.registry import synthesizer_from_config

                options = {"model": self.stt_model} if self.stt_model else {}
                recognizer = get_recognizer(self.stt_engine, **options)
                recognizer.load()
                self.synthesizer = synthesizer_from_config(
                    {"engine": self.tts_engine, **(self.tts_options or {})})
                self.recognizer = recognizer
        return self

    def describe_stt(self) -> Dict[str, Any]:
        """The recognizer for the health route (not loaded yet: its configured name)."""
        if self.recognizer is not None:
            return self.recognizer.describe()
        return {"engine": self.stt_engine, "model": self.stt_model or "default", "loaded": False}
