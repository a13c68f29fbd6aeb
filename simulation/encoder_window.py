"""Whisper's encoder window, measured (``bench/encoder_window.py``): every spoken answer
heard by ``WhisperRecognizer(encoder_window_s=W)`` for each window W, with the hint the
channel builds for its question, and per window and voice the mean word error rate, the
rejections and the recognition time.
"""
from __future__ import annotations

import statistics
from typing import Any, Dict, List, Optional, Sequence

from simulation.hint_wer.answers import SPOKEN_ANSWERS, load_spoken_answers
from simulation.hint_wer.measure import speech_for
from simulation.latency import percentile
from simulation.speech_scoring import word_error_rate


def summarize(rows: Sequence[Dict[str, Any]]) -> Dict[str, Any]:
    """Per window, per voice: mean WER, rejections, recognition ms p50/p95, and the mean
    WER of each group."""
    report: Dict[str, Any] = {}
    for window in sorted({r["window_s"] for r in rows}, reverse=True):
        per_voice = {}
        for voice in sorted({r["voice"] for r in rows}):
            mine = [r for r in rows if r["window_s"] == window and r["voice"] == voice]
            ms = [r["ms"] for r in mine]
            per_voice[voice] = {
                "answers": len(mine),
                "wer_mean": round(statistics.fmean(r["wer"] for r in mine), 4),
                "rejected": sum(1 for r in mine if r["rejected"]),
                "recognition_ms_p50": round(statistics.median(ms), 1),
                "recognition_ms_p95": round(percentile(sorted(ms), 95), 1),
                "wer_by_group": {
                    group: round(statistics.fmean(r["wer"] for r in mine if r["group"] == group), 3)
                    for group in sorted({r["group"] for r in mine})},
            }
        report[f"{window:g}"] = per_voice
    return report


def measure(windows: Sequence[float], voices: Sequence[str],
            limit: Optional[int] = None) -> List[Dict[str, Any]]:
    from voice_channel.stt.whisper import WhisperRecognizer

    groups = load_spoken_answers(SPOKEN_ANSWERS)
    audio = [(group, voice, sentence, speech_for(voice)(sentence))
             for group in groups for voice in voices
             for sentence in group.sentences[:limit]]
    rows = []
    for window in windows:
        recognizer = WhisperRecognizer(encoder_window_s=window)
        recognizer.load()
        for group, voice, sentence, samples in audio:
            heard = recognizer.transcribe(samples, group.hint)
            rows.append({"window_s": window, "group": group.name, "voice": voice,
                         "sentence": sentence, "heard": heard.raw_text,
                         "rejected": heard.rejected_reason,
                         "ms": round(heard.processing_seconds * 1000, 1),
                         "wer": word_error_rate(sentence, "" if heard.rejected_reason
                                                else heard.raw_text)})
        print(f"window {window:g} s: {len(audio)} answers heard", flush=True)
    return rows
