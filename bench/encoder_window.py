"""Whisper's encoder window: what a shorter window costs in words and saves in time.

Usage: python bench/encoder_window.py [--windows 30,20,15] [--voices mb-fr1,mb-fr4]
                                      [--out bench/results/encoder_window.json] [--limit N]

Every sentence of bench/data/spoken_answers.yml (the answers to each of the bot's
questions, 40+ per hint) is said in each voice (``simulation.hint_wer.measure.speech_for``: MBROLA at
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
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Optional, Sequence

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: the project's packages
    sys.path.insert(0, str(ROOT))

from bench.hint_wer import DEFAULT_VOICES, environment  # noqa: E402
from simulation.encoder_window import measure, summarize  # noqa: E402
from simulation.hint_wer.answers import SPOKEN_ANSWERS  # noqa: E402

DEFAULT_OUT = ROOT / "bench" / "results" / "encoder_window.json"
DEFAULT_WINDOWS = (30.0, 20.0, 15.0)


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
