"""What each recognition step brings, measured in process with the stack's own Whisper model."""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence
from unittest import mock

ROOT = Path(__file__).resolve().parents[2]

import numpy as np
import yaml

from voice_channel.stt.hints import Prompting, RecognitionHint
from simulation.latency import latency_summary
from simulation.speech_scoring import word_error_rate
from simulation.voice_http.stack_client import StackClient
from simulation.voice_http.utterances import SpokenUtterance


# --- recognition steps, in process ----------------------------------------------------------

@dataclass
class RecognitionConfig:
    """One way of running the recognizer, to compare with the channel's own."""

    name: str
    description: str
    vad: bool
    hint: Callable[[RecognitionHint], Optional[RecognitionHint]]
    prompt: bool = True


RECOGNITION_CONFIGS = (
    RecognitionConfig("channel", "as the channel runs it: VAD, slot-aware hint (prompt, "
                      "hotwords, yes/no and digit snapping)", True, lambda hint: hint),
    RecognitionConfig("no_slot_hint", "VAD, the hint of a turn without dialogue context "
                      "(hotword 'rendez-vous' only, no snapping)", True,
                      lambda hint: RecognitionHint()),
    RecognitionConfig("no_prompt", "VAD, no prompt, no hotwords, no snapping", True,
                      lambda hint: None, prompt=False),
    RecognitionConfig("no_vad", "slot-aware hint, Silero VAD off (gate and trimming)",
                      False, lambda hint: hint),
)


@dataclass
class InProcessRecognizers:
    """Whisper with and without its VAD; one model, loaded once."""

    with_vad: Any = None
    without_vad: Any = None
    load_seconds: float = 0.0

    @classmethod
    def load(cls) -> "InProcessRecognizers":
        from voice_channel.stt.whisper import WhisperRecognizer

        started = time.perf_counter()
        with_vad = WhisperRecognizer()
        with_vad.load()
        return cls(with_vad, WhisperRecognizer(vad_filter=False), time.perf_counter() - started)

    def transcribe(self, config: RecognitionConfig, samples: np.ndarray,
                   hint: RecognitionHint):
        recognizer = self.with_vad if config.vad else self.without_vad
        if config.prompt:
            return recognizer.transcribe(samples, config.hint(hint))
        with mock.patch("voice_channel.stt.whisper.prompting_for", return_value=Prompting()):
            return recognizer.transcribe(samples, config.hint(hint))


def measure_recognition_steps(client: StackClient, spoken: Sequence[SpokenUtterance],
                              hints: Dict[int, RecognitionHint], vad_runs: int
                              ) -> Dict[str, Any]:
    """VAD time, and WER/intent/STT time of each ``RECOGNITION_CONFIGS`` on every utterance."""
    recognizers = InProcessRecognizers.load()
    rows = []
    for index, item in enumerate(spoken):
        utterance, hint = item.utterance, hints[index]
        vad_ms = []
        for _ in range(vad_runs):
            started = time.perf_counter()
            speech = recognizers.with_vad.speech_seconds(item.samples)
            vad_ms.append((time.perf_counter() - started) * 1000)
        row: Dict[str, Any] = {"index": index, "text": utterance.text, "intent": utterance.intent,
                               "hint": hint.expected, "audio_seconds": round(item.audio_seconds, 2),
                               "vad_ms": [round(v, 1) for v in vad_ms],
                               "speech_seconds": round(speech, 2), "configs": {}}
        for config in RECOGNITION_CONFIGS:
            transcript = recognizers.transcribe(config, item.samples, hint)
            intent, _ = client.intent(transcript.text)
            raw_intent, _ = client.intent(transcript.raw_text)
            row["configs"][config.name] = {
                "text": transcript.text, "raw_text": transcript.raw_text,
                "rejected": transcript.rejected_reason, "snapped": transcript.snapped,
                "stt_ms": round(transcript.processing_seconds * 1000, 1),
                "wer": round(word_error_rate(utterance.text, transcript.text), 3),
                "wer_unsnapped": round(word_error_rate(utterance.text, transcript.raw_text), 3),
                "intent": intent, "intent_unsnapped": raw_intent,
            }
        rows.append(row)
    return {"whisper_model": recognizers.with_vad.model,
            "model_load_seconds": round(recognizers.load_seconds, 1),
            "rows": rows, "non_speech": measure_non_speech(recognizers)}


def measure_non_speech(recognizers: InProcessRecognizers) -> List[Dict[str, Any]]:
    """What the VAD does with no speech: is the clip rejected, and how fast."""
    from simulation.synthetic_audio import cough_burst, silence, white_noise

    clips = {"silence_3s": silence(3.0), "white_noise_3s": white_noise(3.0, level=0.05),
             "cough_1.6s": cough_burst()}
    results = []
    for name, samples in clips.items():
        for vad in (True, False):
            recognizer = recognizers.with_vad if vad else recognizers.without_vad
            transcript = recognizer.transcribe(samples, RecognitionHint())
            results.append({"clip": name, "vad": vad, "text": transcript.raw_text,
                            "rejected": transcript.rejected_reason,
                            "stt_ms": round(transcript.processing_seconds * 1000, 1)})
    return results


def uncached_tts_ms(replies: Sequence[str], runs: int = 1) -> Dict[str, Any]:
    """The channel's synthesizer (credentials.yml) without its cache, on the bot's replies."""
    from voice_channel.tts import synthesizer_from_config

    section = yaml.safe_load((ROOT / "credentials.yml").read_text(encoding="utf-8"))
    settings = section.get("voice_channel.channel.VoiceInput") or {}
    synthesizer = synthesizer_from_config({"engine": settings.get("tts_engine", "espeak"),
                                           **(settings.get("tts_options") or {}),
                                           "cache": False})
    times = []
    for text in replies:
        for _ in range(runs):
            started = time.perf_counter()
            synthesizer.synthesize(text)
            times.append((time.perf_counter() - started) * 1000)
    return {"replies": len(replies), **latency_summary(times)}
