"""The phone bench's figures (``bench/phone_calls.py``): per run, the voice-to-voice
latency of the spoken turns (last speech frame sent → first bot media frame received),
of the keypad turns and of the greeting, turn and booking success, and the server's own
stage timings read from its log; per number of callers, the latency over all repeats and
the largest number whose spoken-turn p95 stays under :data:`P95_TARGET_S`.
"""
from __future__ import annotations

import json
import re
import statistics
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

from simulation.booking_call import CallResult
from simulation.latency import percentile

P95_TARGET_S = 3.0


def latency_summary(values_ms: Sequence[float], unanswered: int = 0) -> Dict[str, Any]:
    """p50/p95 with unanswered turns counted as infinitely slow (nearest rank)."""
    ordered = sorted(values_ms) + [float("inf")] * unanswered
    if not ordered:
        return {"count": 0}

    def rounded(value: float) -> Optional[float]:
        return None if value == float("inf") else round(value, 1)

    return {"count": len(values_ms), "unanswered": unanswered,
            "mean_ms": round(statistics.fmean(values_ms), 1) if values_ms else None,
            "p50_ms": rounded(percentile(ordered, 50)), "p95_ms": rounded(percentile(ordered, 95)),
            "max_ms": rounded(ordered[-1])}


# The voice channel's stage log (voice_channel/call/metrics.py), one line per turn.
STAGE_LINE = re.compile(r"call \S+: (?:greeting|turn \d+) \((?P<kind>\w+)\) stages ms: "
                        r"(?P<stages>[^;]*); speculation (?P<speculation>\w+); "
                        r"voice-to-voice (?P<total>\d+)")


def stage_summary(log_path: Path, offset: int = 0) -> Dict[str, Any]:
    """Per kind of turn (greeting, speech, keypad): p50 and p95 of each stage and of the
    voice-to-voice, as the server logged them (from ``offset`` in its log), and how often
    the speculative recognition was kept."""
    with open(log_path, "rb") as log:
        log.seek(offset)
        text = log.read().decode("utf-8", "replace")
    by_kind: Dict[str, Dict[str, List[float]]] = {}
    speculation: Dict[str, Dict[str, int]] = {}
    for match in STAGE_LINE.finditer(text):
        values = by_kind.setdefault(match["kind"], {})
        for part in filter(None, (p.strip() for p in match["stages"].split(","))):
            stage, ms = part.rsplit(" ", 1)
            values.setdefault(stage, []).append(float(ms))
        values.setdefault("voice_to_voice", []).append(float(match["total"]))
        counts = speculation.setdefault(match["kind"], {})
        counts[match["speculation"]] = counts.get(match["speculation"], 0) + 1
    report: Dict[str, Any] = {}
    for kind, values in by_kind.items():
        report[kind] = {
            "turns": len(values["voice_to_voice"]),
            "p50_ms": {stage: round(percentile(sorted(v), 50), 1) for stage, v in values.items()},
            "p95_ms": {stage: round(percentile(sorted(v), 95), 1) for stage, v in values.items()},
            "speculation": speculation[kind],
        }
    return report


def summarize(calls: Sequence[CallResult], latency_only: bool) -> Dict[str, Any]:
    greetings = [c.turns[0] for c in calls if c.turns and c.turns[0].kind == "greeting"]
    turns = [t for c in calls for t in c.turns if t.kind != "greeting"]
    speech = [t for t in turns if t.kind == "speech"]
    keys = [t for t in turns if t.kind == "dtmf"]
    outcomes: Dict[str, int] = {}
    for turn in turns:
        outcomes[turn.outcome] = outcomes.get(turn.outcome, 0) + 1
    judged = [t for t in turns if t.outcome != "conflict"]
    return {
        "voice_to_voice": latency_summary([t.latency_ms for t in speech if t.latency_ms is not None],
                                          sum(t.latency_ms is None for t in speech)),
        "keypad_to_voice": latency_summary([t.latency_ms for t in keys if t.latency_ms is not None],
                                           sum(t.latency_ms is None for t in keys)),
        # stream start → first greeting frame received
        "greeting": latency_summary([t.latency_ms for t in greetings if t.latency_ms is not None],
                                    sum(t.latency_ms is None for t in greetings)),
        "turns": len(turns),
        "turn_outcomes": outcomes,
        "turn_success": None if latency_only else (
            round(sum(t.outcome == "ok" for t in judged) / len(judged), 3) if judged else None),
        "greetings_ok": sum(c.turns[0].outcome == "ok" for c in calls if c.turns),
        "calls_completed": None if latency_only else sum(c.completed for c in calls),
        "bookings_in_db": None if latency_only else sum(bool(c.booked) for c in calls),
        "booking_success": None if latency_only else round(sum(bool(c.booked) for c in calls)
                                                            / len(calls), 3),
        "caller_errors": [c.error for c in calls if c.error],
        "late_frames": sum(c.late_frames for c in calls),
        "max_send_lag_ms": max((c.max_send_lag_ms for c in calls), default=0.0),
    }


def tabulate_mode(report: Dict[str, Any]) -> Dict[str, Any]:
    """Per-N latency table and the largest N whose p95 is under the target."""
    report["by_callers"] = by_callers(report["runs"])
    fitting = [n for n, row in report["by_callers"].items()
               if row["p95_ms"] is not None and row["p95_ms"] < P95_TARGET_S * 1000]
    report["largest_n_under_3s_p95"] = max(fitting, default=None)
    return report


def merge_into_previous(results: Dict[str, Any], out: Path) -> Dict[str, Any]:
    """``--merge``: the runs of ``out`` for the numbers of callers not measured now are
    kept (one table and one plot over several invocations); the file says so."""
    if not out.is_file():
        return results
    previous = json.loads(out.read_text(encoding="utf-8"))
    for mode, report in results["modes"].items():
        measured = {r["callers"] for r in report["runs"]}
        kept = [r for r in previous.get("modes", {}).get(mode, {}).get("runs", [])
                if r["callers"] not in measured]
        report["runs"] = sorted(kept + report["runs"], key=lambda r: (r["callers"], r["repeat"]))
        tabulate_mode(report)
        if kept:
            report["merged"] = (f"runs for {sorted({r['callers'] for r in kept})} callers "
                                f"come from the run of {previous.get('when')}")
    return results


def by_callers(runs: Sequence[Dict[str, Any]]) -> Dict[int, Dict[str, Any]]:
    """Per N, the latency over all repeats' spoken turns together."""
    table: Dict[int, Dict[str, Any]] = {}
    for n in sorted({r["callers"] for r in runs}):
        speech = [t for r in runs if r["callers"] == n for c in r["calls"] for t in c["turns"]
                  if t["kind"] == "speech"]
        summary = latency_summary([t["latency_ms"] for t in speech if t["latency_ms"] is not None],
                                  sum(t["latency_ms"] is None for t in speech))
        table[n] = {"p50_ms": summary.get("p50_ms"), "p95_ms": summary.get("p95_ms"),
                    "turns": len(speech), "unanswered": summary.get("unanswered", 0)}
    return table
