"""What the voice benchmark (``bench/voice_http.py``) reports besides its measures: the
machine it ran on, the wall time and load average of each phase, and the table it prints.
"""
from __future__ import annotations

import os
import platform
import time
from typing import Any, Dict, List

from bench.machine import cpu_model, package_version, tool_version
from simulation.voice_http.summary import INTENT_SHARE_TARGET, REPLY_READY_TARGET_MS


def machine_info() -> Dict[str, Any]:
    return {
        "cpu_count": os.cpu_count(),
        "cpu_model": cpu_model(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "packages": {name: package_version(name) for name in
                     ("rasa", "faster-whisper", "ctranslate2", "onnxruntime", "text2num")},
        "espeak_ng": tool_version(["espeak-ng", "--version"]),
    }


class PhaseClock:
    """Wall time of each phase, and the 1-minute load average at its end: other work on
    the same CPUs slows every stage, so the report says how busy the machine was."""

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.phases: List[Dict[str, Any]] = [
            {"phase": "start", "seconds": 0.0, "load_average_1m": round(os.getloadavg()[0], 2)}]

    def done(self, phase: str) -> None:
        now = time.perf_counter()
        self.phases.append({"phase": phase, "seconds": round(now - self.started, 1),
                            "load_average_1m": round(os.getloadavg()[0], 2)})
        self.started = now

    def report(self) -> List[Dict[str, Any]]:
        return self.phases


def print_report(report: Dict[str, Any]) -> None:
    http = report["summary"]
    print(f"{'stage':<30} {'n':>4} {'p50 ms':>8} {'p95 ms':>8}")
    for name, stats in http["stages_ms"].items():
        if stats.get("count"):
            print(f"{name:<30} {stats['count']:>4} {stats['p50_ms']:>8.0f} {stats['p95_ms']:>8.0f}")
    three = http["three_second_class"]
    ready = three["reply_ready_ms"]
    if ready.get("count"):
        verdict = "met" if three["target_met"] else "NOT met"
        print(f"~3 s utterances ({ready['count']} turns reaching Rasa): reply audio ready p50 "
              f"{ready['p50_ms']:.0f} ms, target {REPLY_READY_TARGET_MS:.0f} ms {verdict}")
    intent = http["intent_share"]
    print(f"WER (transcript sent to Rasa) {http['wer_mean_transcript']:.3f}; intended intent "
          f"{intent:.0%} (target {INTENT_SHARE_TARGET:.0%}: "
          f"{'met' if http['intent_target_met'] else 'NOT met'}); {http['rejected_turns']} "
          f"turns rejected (re-prompt), {http['accepted_wrong_intent_turns']} acted on with "
          f"a wrong intent")
    for text, transcript, predicted in http["intent_misses"]:
        print(f"  miss: {text!r} heard {transcript!r} -> {predicted}")
    print(f"\n{'voice':<8} {'hint':<12} {'turns':>5} {'WER':>6} {'intent':>7} {'cut':>4}")
    for voice, summary in report.get("per_voice", {}).items():
        for hint, row in summary["by_hint"].items():
            intent = "-" if row["intent_share"] is None else f"{row['intent_share']:.0%}"
            print(f"{voice:<8} {hint:<12} {row['turns']:>5} {row['wer_mean']:>6.3f} "
                  f"{intent:>7} {len(row['cut']):>4}")
        print(f"{voice:<8} {'(all)':<12} {summary['turns']:>5} "
              f"{summary['wer_mean_transcript']:>6.3f} {summary['intent_share']:>7.0%}")
    steps = report.get("recognition_steps")
    if steps:
        print(f"\n{'recognition (in process)':<26} {'WER':>6} {'intent':>7} {'in form':>8} "
              f"{'rejected':>8} {'wrong':>6} {'stt p50':>8}")
        for name, c in steps["configs"].items():
            if "wer_mean" not in c:
                print(f"{name:<26} {'':>6} {c['intent_share']:>7.0%} {'':>8} {'':>8} "
                      f"{c['accepted_wrong_intent']:>6}")
                continue
            print(f"{name:<26} {c['wer_mean']:>6.3f} {c['intent_share']:>7.0%} "
                  f"{c['intent_share_in_form_answers']:>8.0%} {c['rejected']:>8} "
                  f"{c['accepted_wrong_intent']:>6} {c['stt_ms']['p50_ms']:>8.0f}")
        for clip in report["recognition_steps_detail"]["non_speech"]:
            print(f"  {clip['clip']:<16} vad={'on ' if clip['vad'] else 'off'} "
                  f"rejected={clip['rejected']} text={clip['text']!r} {clip['stt_ms']:.0f} ms")
    loads = ", ".join(f"{p['phase']} {p['load_average_1m']}" for p in report["phases"])
    print(f"load average (1 min) on {report['machine']['cpu_count']} CPUs: {loads}")
    if report["training_overlap"]:
        print("utterances that are training sentences:", report["training_overlap"])
    if report["real_recordings"]["found"] == 0:
        print("no real French recording: synthetic espeak-ng speech only")
