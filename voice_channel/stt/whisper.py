"""Whisper (faster-whisper / CTranslate2, int8 on CPU) as a :class:`SpeechRecognizer`.

``WHISPER_MODEL`` selects the model: a directory holding a CTranslate2 conversion
(default ``models/whisper-base``, made by ``scripts/fetch_whisper_base.py``), or an
official size name (``small``, ``medium``, ``large-v3-turbo``…) that faster-whisper
downloads from the Hugging Face Hub on first use and caches.

Each utterance goes through Silero VAD (bundled with faster-whisper) once: with no
speech, Whisper is not even run; otherwise Whisper hears only the speech Silero found
(what faster-whisper's own ``vad_filter`` would do, without running Silero again).
Then French decoding with a small beam, no conditioning on previous text, the hint's
prompt, and :mod:`voice_channel.stt.guard`.
"""
from __future__ import annotations

import dataclasses
import logging
import time
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import numpy as np

from voice_channel.audio.pcm import SAMPLE_RATE, to_float32
from voice_channel.settings import environment
from voice_channel.stt.base import (
    SpeechRecognizer,
    Transcript,
    is_model_loaded,
    load_model_once,
    logprob_confidence,
)
from voice_channel.stt.first_names import MIN_NAME_LOGPROB, known_first_name
from voice_channel.stt.guard import (
    DEFAULT_THRESHOLDS, GuardThresholds, SegmentStats, Verdict, judge,
)
from voice_channel.stt.hints import Prompting, RecognitionHint, postprocess, prompting_for

logger = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_MODEL = "models/whisper-base"
LANGUAGE = "fr"
TOKENS_PER_SECOND = 10
MAX_WINDOW_TOKENS = 220
WHISPER_MAX_LENGTH = 448
PROMPT_TOKENS = 160  # question + hotwords; Whisper's other 288 tokens are for the answer
# The encoder's window in seconds (Whisper's own is 30): see whisper_window.py and the
# measurement in README.md (Benchmarks, phone line). WHISPER_ENCODER_WINDOW overrides it.
DEFAULT_ENCODER_WINDOW_S = 20.0
# Official names faster-whisper knows how to download (faster_whisper.utils._MODELS).
OFFICIAL_SIZES = (
    "tiny", "tiny.en", "base", "base.en", "small", "small.en", "distil-small.en", "medium",
    "medium.en", "distil-medium.en", "large-v1", "large-v2", "large-v3", "large",
    "distil-large-v2", "distil-large-v3", "distil-large-v3.5", "large-v3-turbo", "turbo",
)


class WhisperModelMissing(FileNotFoundError):
    """``WHISPER_MODEL`` names neither an existing model directory nor an official size."""


def resolve_model(model: Optional[str] = None) -> str:
    """A model directory (absolute) or an official size name, from ``model``/``WHISPER_MODEL``.

    Relative directories are looked up from the working directory, then the project root.
    """
    value = (model or environment().whisper_model or DEFAULT_MODEL).strip()
    if value in OFFICIAL_SIZES:
        return value
    candidates = [Path(value).expanduser()]
    if not candidates[0].is_absolute():
        candidates.append(PROJECT_ROOT / value)
    for candidate in candidates:
        if (candidate / "model.bin").is_file():
            return str(candidate.resolve())
    hint = ("run `python scripts/fetch_whisper_base.py`" if value == DEFAULT_MODEL
            else f"or use an official size ({', '.join(OFFICIAL_SIZES)})")
    raise WhisperModelMissing(f"no Whisper model at {value!r} (no model.bin): {hint}")


def max_tokens_for(audio_seconds: float) -> int:
    """Token budget per 30 s window: generous for speech, short for a runaway loop."""
    return min(MAX_WINDOW_TOKENS, 16 + int(TOKENS_PER_SECOND * min(audio_seconds, 30.0)))


class WhisperRecognizer(SpeechRecognizer):
    """faster-whisper on CPU; the model is shared by every instance in the process."""

    def __init__(
        self,
        model: Optional[str] = None,
        *,
        cpu_threads: int = 2,
        compute_type: str = "int8",
        beam_size: int = 2,
        thresholds: GuardThresholds = DEFAULT_THRESHOLDS,
        vad_parameters: Optional[Dict[str, Any]] = None,
        vad_filter: bool = True,
        encoder_window_s: Optional[float] = None,
    ) -> None:
        self._model_ref = resolve_model(model)
        # The encoder's window (voice_channel/stt/whisper_window.py); 30 = Whisper's own.
        if encoder_window_s is None:
            encoder_window_s = environment().whisper_encoder_window or DEFAULT_ENCODER_WINDOW_S
        self.encoder_window_s = float(encoder_window_s)
        self.cpu_threads = cpu_threads
        self.compute_type = compute_type
        self.beam_size = beam_size
        self.thresholds = thresholds
        self.vad_filter = vad_filter  # False only to test the statistical guard alone
        # Silero VAD: keep short answers ("oui"), bridge short pauses between digits.
        self.vad_parameters = {"threshold": 0.5, "min_speech_duration_ms": 150,
                               "min_silence_duration_ms": 700, "speech_pad_ms": 300,
                               **(vad_parameters or {})}

    @property
    def name(self) -> str:
        return "whisper"

    @property
    def model(self) -> str:
        return self._model_ref

    @property
    def _cache_key(self) -> str:
        return (f"{self._model_ref}|{self.compute_type}|{self.cpu_threads}|"
                f"{self.encoder_window_s:g}")

    @property
    def loaded(self) -> bool:
        return is_model_loaded(self.name, self._cache_key)

    def load(self) -> None:
        self._whisper()

    def _whisper(self):
        def loader():
            from voice_channel.stt.whisper_window import windowed_model

            started = time.perf_counter()
            whisper = windowed_model(self.encoder_window_s, self._model_ref, device="cpu",
                                     compute_type=self.compute_type,
                                     cpu_threads=self.cpu_threads)
            logger.info("Whisper model %s loaded in %.1f s (encoder window %g s)",
                        self._model_ref, time.perf_counter() - started, self.encoder_window_s)
            return whisper

        return load_model_once(self.name, self._cache_key, loader)

    @staticmethod
    def _fit_prompt(whisper, prompting: Prompting) -> Tuple[Prompting, int]:
        """The prompt cut to ``PROMPT_TOKENS`` (question's end, hotwords' start), and the
        number of new tokens left for the answer in the audio window."""
        tokenizer = whisper.hf_tokenizer

        def ids(text: Optional[str]) -> List[int]:
            return tokenizer.encode(" " + text.strip()).ids if text else []

        question, hotwords = ids(prompting.initial_prompt), ids(prompting.hotwords)
        hotwords = hotwords[:PROMPT_TOKENS // 2 if question else PROMPT_TOKENS]
        question = question[-(PROMPT_TOKENS - len(hotwords)):] if question else []
        fitted = Prompting(
            initial_prompt=tokenizer.decode(question).strip() or None if question else None,
            hotwords=tokenizer.decode(hotwords).strip() or None if hotwords else None,
        )
        # start/language/task/no-timestamps/previous markers, and re-encoding slack
        used = len(question) + len(hotwords) + 12
        return fitted, WHISPER_MAX_LENGTH - used

    def speech_chunks(self, audio: np.ndarray) -> List[Dict[str, int]]:
        """Where Silero VAD hears speech in ``audio`` (16 kHz float32): sample ranges."""
        from faster_whisper.vad import VadOptions, get_speech_timestamps

        return get_speech_timestamps(audio, VadOptions(**self.vad_parameters))

    def speech_seconds(self, audio: np.ndarray) -> float:
        """Seconds of speech Silero VAD finds in ``audio`` (16 kHz float32)."""
        return _seconds(self.speech_chunks(audio))

    def transcribe(self, pcm16k: np.ndarray, hint: Optional[RecognitionHint] = None) -> Transcript:
        started = time.perf_counter()
        audio = to_float32(pcm16k)
        audio_seconds = len(audio) / SAMPLE_RATE
        whisper = self._whisper()

        def result(text: str = "", **fields) -> Transcript:
            return Transcript(text=text, engine=self.name, model=self._model_ref,
                              language=LANGUAGE, audio_seconds=audio_seconds,
                              processing_seconds=time.perf_counter() - started, **fields)

        if audio_seconds < 0.1:
            return result(rejected_reason="no_speech_vad", speech_seconds=0.0)
        speech = None
        if self.vad_filter:
            audio, speech = self._speech_only(audio)
            if speech == 0.0:
                return result(rejected_reason="no_speech_vad", speech_seconds=0.0)
        prompting, stats = self._decode(whisper, audio, audio_seconds, hint)
        raw_text = " ".join(s.text.strip() for s in stats).strip()
        verdict = _judge(stats, raw_text, prompting, hint, self.thresholds)
        text, snapped = ("", None)
        if verdict.rejected_reason is None:
            text, snapped = postprocess(verdict.text, hint)
        transcript = result(
            text,
            raw_text=raw_text,
            rejected_reason=verdict.rejected_reason,
            confidence=logprob_confidence(verdict.avg_logprob),
            avg_logprob=verdict.avg_logprob,
            no_speech_prob=verdict.no_speech_prob,
            compression_ratio=verdict.compression_ratio,
            snapped=snapped,
            speech_seconds=speech,
        )
        logger.debug("whisper %.2fs audio in %.2fs: %r -> %r (%s)", audio_seconds,
                     transcript.processing_seconds, raw_text, text, verdict.rejected_reason)
        return transcript

    def _speech_only(self, audio: np.ndarray) -> Tuple[np.ndarray, float]:
        """The parts of ``audio`` where Silero hears speech, and their seconds (0: none).

        Silero once: what it finds decides whether Whisper runs at all, and Whisper
        gets only those parts, exactly as its own vad_filter would cut them."""
        from faster_whisper.vad import collect_chunks

        chunks = self.speech_chunks(audio)
        speech = _seconds(chunks)
        if speech == 0.0:
            return audio, speech
        return np.concatenate(collect_chunks(audio, chunks)[0], axis=0), speech

    def _decode(self, whisper, audio: np.ndarray, audio_seconds: float,
                hint: Optional[RecognitionHint]) -> Tuple[Prompting, List[SegmentStats]]:
        """Whisper's segments for ``audio`` (with the hint's prompt, as fitted)."""
        prompting, room = self._fit_prompt(whisper, prompting_for(hint))
        segments, _info = whisper.transcribe(
            audio,
            language=LANGUAGE,
            task="transcribe",
            beam_size=self.beam_size,
            best_of=1,
            temperature=0.0,
            condition_on_previous_text=False,
            initial_prompt=prompting.initial_prompt,
            hotwords=prompting.hotwords,
            vad_filter=False,  # already cut by _speech_only
            without_timestamps=True,
            # Speech is at most ~6 tokens/s: a decoding loop stops early (and is rejected).
            max_new_tokens=min(room, max_tokens_for(audio_seconds)),
            # The guard judges: let every segment through with its statistics.
            no_speech_threshold=None,
            log_prob_threshold=None,
            compression_ratio_threshold=None,
        )
        # The generator does the decoding: consume it here, in the caller's worker thread.
        return prompting, [
            SegmentStats(text=s.text, avg_logprob=s.avg_logprob, no_speech_prob=s.no_speech_prob,
                         compression_ratio=s.compression_ratio, tokens=len(s.tokens))
            for s in segments
        ]


def _judge(stats: List[SegmentStats], raw_text: str, prompting: Prompting,
           hint: Optional[RecognitionHint], thresholds: GuardThresholds) -> Verdict:
    """The guard's verdict, except that a known first name said alone, heard with little
    confidence when a first name is asked, is an answer."""
    verdict = judge(stats, prompt=prompting.initial_prompt, thresholds=thresholds)
    if (verdict.rejected_reason == "low_confidence" and hint is not None
            and hint.expected == "first_name" and verdict.avg_logprob is not None
            and verdict.avg_logprob >= MIN_NAME_LOGPROB and known_first_name(raw_text)):
        return dataclasses.replace(verdict, text=raw_text, rejected_reason=None)
    return verdict


def _seconds(chunks: List[Dict[str, int]]) -> float:
    return sum(chunk["end"] - chunk["start"] for chunk in chunks) / SAMPLE_RATE
