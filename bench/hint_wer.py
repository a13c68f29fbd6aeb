"""Recognition hints, measured: does each hint lower the word error rate, and cut nothing?

Usage: python bench/hint_wer.py [--voices mb-fr1,mb-fr4] [--out bench/results/hint_wer.json]
                                [--data bench/data/spoken_answers.yml] [--groups date,phone]
                                [--limit N]

For every group of bench/data/spoken_answers.yml (one per hint the channel builds, asked
as the bot asks: :mod:`simulation.hint_wer.answers`), each sentence is said in each
voice (espeak-ng/MBROLA at the callers' rate, ``simulation.synthetic_audio.speech_16k``)
and heard by the stack's Whisper model, loaded once, with the hint's prompting, with its
prompt alone (hints that have hotwords) and with no prompting at all
(:mod:`simulation.hint_wer.conditions`: only the prompting changes, and the WER is
scored on what was heard before snapping).

A sentence is *cut* when, at its start or at its end, the transcript lacks more
reference words than the no-hint transcript does (:mod:`simulation.hint_wer.cuts`). A
condition is *kept* only if its mean WER is lower than no hint's in every voice and it
cuts no sentence, per group and per kind, with a recommendation: keep, keep the prompt
but drop the hotwords, or drop (:mod:`simulation.hint_wer.verdicts`).

Writes bench/results/hint_wer.json and prints a short table. To measure from another
bench (the recognizer loaded there): see :mod:`simulation.hint_wer`.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: the project's packages
    sys.path.insert(0, str(ROOT))

from bench.machine import package_version  # noqa: E402
from simulation.hint_wer.answers import (  # noqa: E402
    MIN_SENTENCES, SPOKEN_ANSWERS, HintGroup, load_spoken_answers)
from simulation.hint_wer.conditions import HINT, NO_HINT, PROMPT_ONLY, conditions_for  # noqa: E402
from simulation.hint_wer.cuts import EDGE_WORDS, MIN_CUT_WORDS  # noqa: E402
from simulation.hint_wer.measure import measure_hint_wer  # noqa: E402
from simulation.synthetic_audio import CALLER_VOICE, SECOND_VOICE  # noqa: E402

DEFAULT_OUT = ROOT / "bench" / "results" / "hint_wer.json"
DEFAULT_VOICES = (CALLER_VOICE, SECOND_VOICE)  # MBROLA fr1 and fr4


def _run(command: Sequence[str]) -> Optional[str]:
    if shutil.which(command[0]) is None:
        return None
    result = subprocess.run(command, capture_output=True, text=True, timeout=10, cwd=ROOT)
    return (result.stdout or result.stderr).strip() if result.returncode == 0 else None


def environment(recognizer: Any, voices: Sequence[str]) -> Dict[str, Any]:
    """Commit, packages, model and voices: what the figures depend on."""
    from simulation.synthetic_audio import CALLER_RATE, MBROLA_VOICES

    status = _run(["git", "status", "--porcelain", "--", "voice_channel/stt",
                   "voice_channel/dialogue/hint.py", "bench/hint_wer.py",
                   "bench/data/spoken_answers.yml", "simulation/hint_wer",
                   "simulation/speech_scoring.py"])
    espeak = _run(["espeak-ng", "--version"])
    return {
        "commit": _run(["git", "rev-parse", "HEAD"]),
        "uncommitted": [line[3:] for line in (status or "").splitlines()],
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "packages": {name: package_version(name) for name in
                     ("faster-whisper", "ctranslate2", "onnxruntime", "numpy", "text2num",
                      "rasa", "av")},
        "espeak_ng": espeak.splitlines()[0] if espeak else None,
        "voices": {voice: {"mbrola": voice.startswith("mb-"),
                           "installed": voice_installed(voice)} for voice in voices},
        "speech_rate_wpm": CALLER_RATE,
        "mbrola_dir": str(MBROLA_VOICES),
        "whisper": {"model": getattr(recognizer, "model", None),
                    "beam_size": getattr(recognizer, "beam_size", None),
                    "cpu_threads": getattr(recognizer, "cpu_threads", None),
                    "compute_type": getattr(recognizer, "compute_type", None),
                    "vad_filter": getattr(recognizer, "vad_filter", None),
                    "encoder_window_s": getattr(recognizer, "encoder_window_s", None)},
    }


def voice_installed(voice: str) -> bool:
    """espeak-ng is there, and for an MBROLA voice (``mb-…``) mbrola and its voice file."""
    from simulation.synthetic_audio import MBROLA_VOICES

    if shutil.which("espeak-ng") is None:
        return False
    if not voice.startswith("mb-"):
        return True
    name = voice.removeprefix("mb-")
    return shutil.which("mbrola") is not None and (MBROLA_VOICES / name / name).is_file()


def print_table(report: Mapping[str, Any]) -> None:
    results, by_group = report["results"], report["verdicts"]["by_group"]
    print(f"{'group':<11} {'voice':<7} {'n':>3} {'no hint':>8} {'hint':>7} {'prompt':>7} "
          f"{'cut':>4} {'rej h/0':>8}")
    for group, by_voice in results.items():
        for voice, cells in by_voice.items():
            prompt = cells.get(PROMPT_ONLY)
            print(f"{group:<11} {voice:<7} {cells[NO_HINT]['n']:>3} "
                  f"{cells[NO_HINT]['wer_mean']:>8.3f} {cells[HINT]['wer_mean']:>7.3f} "
                  f"{(format(prompt['wer_mean'], '.3f') if prompt else '-'):>7} "
                  f"{len(cells[HINT]['cut']) + (len(prompt['cut']) if prompt else 0):>4} "
                  f"{cells[HINT]['rejected']:>4}/{cells[NO_HINT]['rejected']:<3}")
        print(f"{'':<11} verdict: {by_group[group]['recommendation']}")
        for cell in by_voice.values():
            for condition in (HINT, PROMPT_ONLY):
                for cut in (cell.get(condition) or {}).get("cut", []):
                    print(f"{'':<13}cut ({condition}, {'/'.join(cut['sides'])}): "
                          f"{cut['sentence']!r} heard {cut['heard']!r} "
                          f"(no hint: {cut['no_hint_heard']!r})")
    print("per kind:", ", ".join(f"{k}: {v['recommendation']}"
                                 for k, v in report["verdicts"]["by_kind"].items()))


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--voices", default=",".join(DEFAULT_VOICES),
                        help="espeak-ng voices, comma-separated (default "
                             f"{','.join(DEFAULT_VOICES)})")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="result JSON path")
    parser.add_argument("--data", type=Path, default=SPOKEN_ANSWERS, help="the sentences (YAML)")
    parser.add_argument("--groups", help="only these groups, comma-separated")
    parser.add_argument("--limit", type=int,
                        help="only the first N sentences of each group (a trial run)")
    return parser.parse_args(argv)


def chosen_groups(data: Path, groups: Optional[str], limit: Optional[int]) -> List[HintGroup]:
    """The groups of ``data``, only ``groups`` (comma-separated) if given, and only the
    first ``limit`` sentences of each (a trial run)."""
    chosen = load_spoken_answers(data, min_sentences=0 if limit else MIN_SENTENCES)
    if groups:
        wanted = [g.strip() for g in groups.split(",") if g.strip()]
        unknown = set(wanted) - {g.name for g in chosen}
        if unknown:
            raise SystemExit(f"unknown groups: {', '.join(sorted(unknown))}")
        chosen = [g for g in chosen if g.name in wanted]
    if limit:
        chosen = [HintGroup(g.name, g.hint, g.sentences[:limit]) for g in chosen]
    return chosen


def method(data: Path) -> Dict[str, Any]:
    """How the figures were made, for the report."""
    return {
        "data": str(data.relative_to(ROOT) if data.is_relative_to(ROOT) else data),
        "speech": "simulation.synthetic_audio.speech_16k (espeak-ng/MBROLA, 0.3 s of "
                  "silence before, 0.5 s after), in each voice",
        "conditions": {HINT: "prompting_for(hint): initial_prompt and hotwords, as the "
                             "channel in a call",
                       PROMPT_ONLY: "the hint's initial_prompt, no hotwords (hints with "
                                    "hotwords only)",
                       NO_HINT: "no initial_prompt, no hotwords"},
        "same_in_every_condition": "Silero VAD, the guard, the lone-first-name rescue and "
                                   "postprocess get the same hint: only the prompting "
                                   "differs",
        "wer": "simulation.speech_scoring.word_error_rate on the text heard before snapping "
               "(wer_channel: after postprocess); rejected transcripts count as empty",
        "cut": f"at the start or the end, at least {EDGE_WORDS} more reference words "
               "missing than in the no-hint transcript (simulation.hint_wer.cuts.dropped_words: "
               "reference words before the first shared word, minus transcript words "
               f"before it; the same from the end); references of {MIN_CUT_WORDS}+ "
               "words only",
        "verdict": "a condition is kept only if its mean WER is lower than no hint's in "
                   "every voice and it cuts no sentence; a kind, only if kept in each of "
                   "its groups",
    }


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    voices = [v.strip() for v in args.voices.split(",") if v.strip()]
    missing = [v for v in voices if not voice_installed(v)]
    if missing:
        raise SystemExit(f"voices not installed: {', '.join(missing)} (apt-get install "
                         "espeak-ng; MBROLA voices: sudo scripts/install_caller_voice.sh)")
    groups = chosen_groups(args.data, args.groups, args.limit)

    from voice_channel.stt.whisper import WhisperRecognizer

    started = time.perf_counter()
    recognizer = WhisperRecognizer()
    recognizer.load()
    load_seconds = time.perf_counter() - started
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    measured = measure_hint_wer(recognizer, groups, voices,
                                progress=lambda line: print(line, file=sys.stderr, flush=True))
    report = {
        "timestamp": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "environment": {**environment(recognizer, voices),
                        "model_load_seconds": round(load_seconds, 1),
                        "run_seconds": round(time.perf_counter() - started, 1),
                        "load_average_1m": {"start": round(load_before, 2),
                                            "end": round(os.getloadavg()[0], 2)}},
        "method": method(args.data),
        "groups": {g.name: {"kind": g.kind, "question": g.hint.question, "sentences":
                            len(g.sentences),
                            "prompting": {name: {"initial_prompt": p.initial_prompt,
                                                 "hotwords": p.hotwords}
                                          for name, p in conditions_for(g.hint).items()}}
                   for g in groups},
        "voices": voices,
        "results": measured["results"],
        "verdicts": measured["verdicts"],
        "rows": measured["rows"],
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print_table(report)
    print(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
