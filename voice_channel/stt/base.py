"""The speech-to-text interface every engine implements, and the per-process model cache.

Engines take 16 kHz mono PCM (float32 in [-1, 1] or int16) and return a
:class:`Transcript`. A transcript the engine does not trust has ``text == ""`` and a
``rejected_reason``: the bot must then ask again, never act on it.

``transcribe`` is blocking (CPU-bound); callers run it in a worker thread
(``await asyncio.to_thread(recognizer.transcribe, pcm, hint)``). Heavy models are
loaded once per process, keyed by engine and model, whichever recognizer object asks.
"""
from __future__ import annotations

import math
import threading
from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass
from typing import Any, Callable, Dict, Optional, Tuple

import numpy as np

from voice_channel.stt.hints import RecognitionHint

__all__ = ["SpeechRecognizer", "Transcript", "RecognitionHint", "load_model_once",
           "cached_models"]


@dataclass(frozen=True)
class Transcript:
    """What an engine heard, how sure it is, and whether it may be acted upon."""

    text: str
    """Final text for the dialogue ("" when rejected); snapped to "oui"/"non"/digits by a hint."""
    engine: str
    model: str
    raw_text: str = ""
    """The engine's own words before the guard and the hint's post-processing."""
    rejected_reason: Optional[str] = None
    confidence: Optional[float] = None
    """0..1: exp(avg_logprob) for Whisper, mean word confidence for Vosk."""
    avg_logprob: Optional[float] = None
    no_speech_prob: Optional[float] = None
    compression_ratio: Optional[float] = None
    snapped: Optional[str] = None
    """"yes_no" or "digits" when the hint's post-processing replaced the text."""
    language: Optional[str] = None
    audio_seconds: float = 0.0
    speech_seconds: Optional[float] = None
    """Speech found by the voice activity detector, when the engine runs one."""
    processing_seconds: float = 0.0

    @property
    def accepted(self) -> bool:
        return self.rejected_reason is None and bool(self.text)

    @property
    def real_time_factor(self) -> Optional[float]:
        if not self.audio_seconds:
            return None
        return self.processing_seconds / self.audio_seconds

    def as_dict(self) -> Dict[str, Any]:
        data = asdict(self)
        data["accepted"] = self.accepted
        return data


def logprob_confidence(avg_logprob: Optional[float]) -> Optional[float]:
    if avg_logprob is None or math.isnan(avg_logprob):
        return None
    return float(min(1.0, max(0.0, math.exp(avg_logprob))))


class SpeechRecognizer(ABC):
    """A speech-to-text engine with a loaded (or lazily loaded) model."""

    @property
    @abstractmethod
    def name(self) -> str:
        """Engine name as the registry knows it ("whisper", "vosk")."""

    @property
    @abstractmethod
    def model(self) -> str:
        """Model identifier (directory or official size name) for the health endpoint."""

    @abstractmethod
    def transcribe(self, pcm16k: np.ndarray, hint: Optional[RecognitionHint] = None) -> Transcript:
        """Recognise one whole utterance of 16 kHz mono PCM (blocking; run it in a thread)."""

    def load(self) -> None:
        """Load the model now (at startup) rather than on the first utterance."""

    @property
    def loaded(self) -> bool:
        return False

    def describe(self) -> Dict[str, Any]:
        """What the health endpoint reports about this engine."""
        return {"engine": self.name, "model": self.model, "loaded": self.loaded}


# --- one model per (engine, model) per process -------------------------------------------

_MODELS: Dict[Tuple[str, str], Any] = {}
_LOCKS: Dict[Tuple[str, str], threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()


def load_model_once(engine: str, model: str, loader: Callable[[], Any]) -> Any:
    """The model cached under (engine, model), calling ``loader()`` only the first time.

    Concurrent first calls for the same key wait for one load instead of loading twice.
    """
    key = (engine, model)
    cached = _MODELS.get(key)
    if cached is not None:
        return cached
    with _LOCKS_GUARD:
        lock = _LOCKS.setdefault(key, threading.Lock())
    with lock:
        cached = _MODELS.get(key)
        if cached is None:
            cached = loader()
            _MODELS[key] = cached
    return cached


def is_model_loaded(engine: str, model: str) -> bool:
    return (engine, model) in _MODELS


def cached_models() -> Tuple[Tuple[str, str], ...]:
    return tuple(_MODELS)
