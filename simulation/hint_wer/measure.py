"""Every sentence of the spoken answers said in each voice (espeak-ng/MBROLA at the
callers' rate) and heard under each condition of its hint, and the figures per group,
voice and condition, with their verdicts.
"""
from __future__ import annotations

import statistics
import time
from typing import Any, Callable, Dict, List, Optional, Sequence

import numpy as np

from simulation.hint_wer.answers import HintGroup
from simulation.hint_wer.conditions import BASELINE, CONDITIONS, measure_sentence
from simulation.hint_wer.verdicts import verdicts


def speech_for(voice: str, rate: Optional[int] = None) -> Callable[[str], np.ndarray]:
    """``text → 16 kHz float32 speech`` in ``voice`` at the callers' rate."""
    from simulation.synthetic_audio import CALLER_RATE, speech_16k

    return lambda text: speech_16k(text, voice=voice, rate=rate or CALLER_RATE)


def measure_hint_wer(recognizer: Any, groups: Sequence[HintGroup], voices: Sequence[str],
                     *, synthesize: Optional[Callable[[str, str], np.ndarray]] = None,
                     progress: Optional[Callable[[str], None]] = None) -> Dict[str, Any]:
    """Every sentence of ``groups`` said in each of ``voices`` and heard by ``recognizer``
    (a loaded ``WhisperRecognizer``) under each condition.

    ``synthesize(text, voice)`` makes the audio (default: ``speech_16k`` at the callers'
    rate). Returns ``{"rows", "results", "verdicts"}``: a row per sentence and voice,
    :func:`summarize` of the rows, and :func:`verdicts` of that.
    """
    if synthesize is None:
        def synthesize(text: str, voice: str) -> np.ndarray:
            return speech_for(voice)(text)
    rows = []
    for group in groups:
        for voice in voices:
            started = time.perf_counter()
            for sentence in group.sentences:
                samples = synthesize(sentence, voice)
                rows.append({"group": group.name, "kind": group.kind, "voice": voice,
                             "sentence": sentence,
                             "audio_seconds": round(len(samples) / 16000, 2),
                             "conditions": measure_sentence(recognizer, samples, sentence,
                                                            group.hint)})
            if progress:
                progress(f"{group.name} {voice}: {len(group.sentences)} sentences in "
                         f"{time.perf_counter() - started:.0f} s")
    results = summarize(rows)
    return {"rows": rows, "results": results,
            "verdicts": verdicts(results, {g.name: g.kind for g in groups})}


def summarize(rows: Sequence[Dict[str, Any]]) -> Dict[str, Any]:
    """Per group, voice and condition: n, mean and median WER, mean WER after snapping,
    rejected transcripts, and the sentences cut (with what the no-hint condition heard)."""
    cells: Dict[str, Dict[str, Dict[str, List[Dict[str, Any]]]]] = {}
    for row in rows:
        for condition, result in row["conditions"].items():
            cells.setdefault(row["group"], {}).setdefault(row["voice"], {}) \
                .setdefault(condition, []).append({"row": row, "result": result})
    summary: Dict[str, Any] = {}
    for group, by_voice in cells.items():
        for voice, by_condition in by_voice.items():
            for condition in CONDITIONS:
                items = by_condition.get(condition)
                if not items:
                    continue
                wers = [i["result"]["wer"] for i in items]
                summary.setdefault(group, {}).setdefault(voice, {})[condition] = {
                    "n": len(items),
                    "wer_mean": round(statistics.fmean(wers), 4),
                    "wer_median": round(statistics.median(wers), 4),
                    "wer_channel_mean": round(statistics.fmean(
                        i["result"]["wer_channel"] for i in items), 4),
                    "rejected": sum(1 for i in items if i["result"]["rejected"]),
                    "cut": [{"sentence": i["row"]["sentence"], "sides": i["result"]["cut"],
                             "heard": i["result"]["heard"],
                             "no_hint_heard": i["row"]["conditions"][BASELINE]["heard"]}
                            for i in items if i["result"]["cut"]],
                }
    return summary
