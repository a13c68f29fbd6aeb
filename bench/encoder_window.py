"""Whisper's encoder window: what a shorter window costs in words and saves in time.

Usage: python bench/encoder_window.py [--windows 30,20,15] [--voices mb-fr1,mb-fr4]
                                      [--out bench/results/encoder_window.json] [--limit N]

Every sentence of bench/data/spoken_answers.yml (the answers to each of the bot's
questions, 40+ per hint) is said in each voice (``bench.hint_wer.speech_for``: MBROLA at
the callers' rate) and heard by ``WhisperRecognizer(encoder_window_s=W)`` with the hint
the channel builds for its question (``prompting_for``, the guard, the snapping: the
recogniser as in a call). For each window: the mean word error rate per voice and per
group (on the words heard, a rejected answer counting as nothing heard), the rejections,
and the recognition time per answer (median and p95). The audio is made once and heard
by every window in turn, so the windows differ only in the encoder.

Writes bench/results/encoder_window.json and prints a table.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: the project's packages
    sys.path.insert(0, str(ROOT))

from bench.duckling import percentile  # noqa: E402
from bench.hint_wer import (  # noqa: E402
    DEFAULT_VOICES, SPOKEN_ANSWERS, environment, load_spoken_answers, speech_for,
)
from bench.speech_scoring import word_error_rate  # noqa: E402

DEFAULT_OUT = ROOT / "bench" / "results" / "encoder_window.json"
DEFAULT_WINDOWS = (30.0, 20.0, 15.0)


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


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--windows", default=",".join(f"{w:g}" for w in DEFAULT_WINDOWS))
    parser.add_argument("--voices", default=",".join(DEFAULT_VOICES))
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--limit", type=int, default=None, help="sentences per group")
    args = parser.parse_args(argv)
    windows = [float(w) for w in args.windows.split(",") if w]
    voices = [v for v in args.voices.split(",") if v]
    rows = measure(windows, voices, args.limit)
    from voice_channel.stt.whisper import WhisperRecognizer

    report = {"timestamp": datetime.now(timezone.utc).isoformat(timespec="seconds"),
              "environment": environment(WhisperRecognizer(), voices),
              "data": str(SPOKEN_ANSWERS.relative_to(ROOT)),
              "results": summarize(rows), "rows": rows}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    print("window  voice    WER     rejected  ms p50  ms p95")
    for window, per_voice in report["results"].items():
        for voice, r in per_voice.items():
            print(f"{window:>6}  {voice:7}  {r['wer_mean']:.4f}  {r['rejected']:>8}  "
                  f"{r['recognition_ms_p50']:>6}  {r['recognition_ms_p95']:>6}")
    print(f"→ {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
