"""Vosk (Kaldi) streaming recognition as a :class:`SpeechRecognizer`.

``VOSK_MODEL_PATH`` points to an unpacked Vosk model directory (for French, e.g.
``vosk-model-small-fr-0.22``; downloading one is not this module's job). Vosk streams:
a :class:`VoskStream` takes audio chunks as they arrive (a phone line) and returns the
partial text after each, then the final :class:`Transcript`; ``transcribe`` does the
same for one whole utterance.

Vosk gives no no-speech or log-probability statistics: the guard here only rejects
empty results, known hallucination phrases, repetition loops, and (when
``min_confidence`` > 0) words below a mean confidence.
"""
from __future__ import annotations

import json
import logging
import time
from dataclasses import replace
from pathlib import Path
from typing import List, Optional, Union

import numpy as np

from voice_channel.audio.pcm import SAMPLE_RATE, to_int16
from voice_channel.settings import environment
from voice_channel.stt.base import SpeechRecognizer, Transcript, is_model_loaded, load_model_once
from voice_channel.stt.guard import judge_text
from voice_channel.stt.hints import RecognitionHint, postprocess

logger = logging.getLogger(__name__)

CHUNK_SECONDS = 0.2

Chunk = Union[np.ndarray, bytes, bytearray, memoryview]


class VoskModelMissing(FileNotFoundError):
    """No model directory configured, or not a Vosk model."""


def resolve_model_path(model: Optional[str] = None) -> str:
    value = model or environment().vosk_model_path
    if not value:
        raise VoskModelMissing(
            "set VOSK_MODEL_PATH to an unpacked Vosk model directory (e.g. vosk-model-small-fr-0.22)"
        )
    path = Path(value).expanduser()
    if not (path / "am" / "final.mdl").is_file() and not (path / "final.mdl").is_file():
        raise VoskModelMissing(f"{path} is not a Vosk model directory (no am/final.mdl)")
    return str(path.resolve())


def _pcm_bytes(chunk: Chunk) -> bytes:
    if isinstance(chunk, (bytes, bytearray, memoryview)):
        return bytes(chunk)
    return to_int16(np.asarray(chunk).reshape(-1)).astype("<i2", copy=False).tobytes()


class VoskStream:
    """One utterance streamed into Vosk: ``start()``, ``feed(chunk)`` → partial, ``finish()``.

    ``feed`` takes 16 kHz mono int16 samples (bytes or array) or float32 samples. The
    text returned by ``feed`` is everything heard so far: Vosk's finished phrases
    (it cuts at pauses) followed by the current partial hypothesis.
    """

    def __init__(self, recognizer: "VoskRecognizer", hint: Optional[RecognitionHint] = None) -> None:
        self._owner = recognizer
        self.hint = hint
        self._kaldi = None
        self._phrases: List[str] = []
        self._confidences: List[float] = []
        self._partial = ""
        self._samples = 0
        self._started_at = 0.0
        self._busy_seconds = 0.0

    def start(self) -> "VoskStream":
        from vosk import KaldiRecognizer

        self._kaldi = KaldiRecognizer(self._owner.vosk_model(), self._owner.sample_rate)
        self._kaldi.SetWords(True)
        self._phrases, self._confidences, self._partial = [], [], ""
        self._samples = 0
        self._started_at = time.perf_counter()
        self._busy_seconds = 0.0
        return self

    @property
    def started(self) -> bool:
        return self._kaldi is not None

    @property
    def text(self) -> str:
        return " ".join(part for part in self._phrases + [self._partial] if part)

    @property
    def audio_seconds(self) -> float:
        return self._samples / float(self._owner.sample_rate)

    def feed(self, chunk: Chunk) -> str:
        """Add audio; returns the text heard so far (finished phrases + partial)."""
        if self._kaldi is None:
            raise RuntimeError("call start() before feed()")
        data = _pcm_bytes(chunk)
        self._samples += len(data) // 2
        began = time.perf_counter()
        if self._kaldi.AcceptWaveform(data):
            self._take(json.loads(self._kaldi.Result()))
            self._partial = ""
        else:
            self._partial = json.loads(self._kaldi.PartialResult()).get("partial", "")
        self._busy_seconds += time.perf_counter() - began
        return self.text

    def finish(self) -> Transcript:
        """End of the utterance: the final, guarded and post-processed transcript."""
        if self._kaldi is None:
            raise RuntimeError("call start() before finish()")
        began = time.perf_counter()
        self._take(json.loads(self._kaldi.FinalResult()))
        self._partial = ""
        self._kaldi = None
        self._busy_seconds += time.perf_counter() - began
        raw_text = " ".join(self._phrases)
        confidence = (sum(self._confidences) / len(self._confidences)) if self._confidences else None
        reason = judge_text(raw_text)
        if reason is None and confidence is not None and confidence < self._owner.min_confidence:
            reason = "low_confidence"
        text, snapped = ("", None) if reason else postprocess(raw_text, self.hint)
        return Transcript(
            text=text, engine=self._owner.name, model=self._owner.model, raw_text=raw_text,
            rejected_reason=reason, confidence=confidence, snapped=snapped,
            audio_seconds=self.audio_seconds, processing_seconds=self._busy_seconds,
        )

    def _take(self, result: dict) -> None:
        text = (result.get("text") or "").strip()
        if text:
            self._phrases.append(text)
        self._confidences.extend(float(w.get("conf", 0.0)) for w in result.get("result", []))


class VoskRecognizer(SpeechRecognizer):
    """Vosk with the model at ``model`` or ``VOSK_MODEL_PATH``, shared in the process."""

    def __init__(self, model: Optional[str] = None, *, sample_rate: int = SAMPLE_RATE,
                 chunk_seconds: float = CHUNK_SECONDS, min_confidence: float = 0.0) -> None:
        self._model_path = resolve_model_path(model)
        self.sample_rate = sample_rate
        self.chunk_seconds = chunk_seconds
        self.min_confidence = min_confidence

    @property
    def name(self) -> str:
        return "vosk"

    @property
    def model(self) -> str:
        return self._model_path

    @property
    def loaded(self) -> bool:
        return is_model_loaded(self.name, self._model_path)

    def load(self) -> None:
        self.vosk_model()

    def vosk_model(self):
        def loader():
            import vosk

            vosk.SetLogLevel(-1)
            started = time.perf_counter()
            model = vosk.Model(model_path=self._model_path)
            logger.info("Vosk model %s loaded in %.1f s", self._model_path,
                        time.perf_counter() - started)
            return model

        return load_model_once(self.name, self._model_path, loader)

    def stream(self, hint: Optional[RecognitionHint] = None) -> VoskStream:
        """A new streaming session (call ``start()`` on it)."""
        return VoskStream(self, hint)

    def transcribe(self, pcm16k: np.ndarray, hint: Optional[RecognitionHint] = None) -> Transcript:
        started = time.perf_counter()
        samples = to_int16(np.asarray(pcm16k).reshape(-1))
        session = self.stream(hint).start()
        step = max(1, int(self.chunk_seconds * self.sample_rate))
        for offset in range(0, len(samples), step):
            session.feed(samples[offset:offset + step])
        transcript = session.finish()
        return replace(transcript, processing_seconds=time.perf_counter() - started)
