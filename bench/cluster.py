"""The cluster benchmark: typed turns and phone calls on 1, 2 and 3 Rasa replicas behind
HAProxy, with Redis and PostgreSQL (``make run-cluster``'s processes), on this machine.

Usage: ``python bench/cluster.py [--replicas 1,2,3] [--patients 20] [--calls 2,4]
[--out bench/results/cluster.json]`` (PostgreSQL: ``TEST_POSTGRES_URL``).

For each number of replicas a fresh cluster is started (:mod:`simulation.cluster_stack`)
and measured three ways:

* **typed turns**: ``--patients`` patients book at once over the staff chat through
  HAProxy (7 turns each, every answer checked, every booking then looked up in the
  database: :mod:`simulation.typed_bookings`): turns per second, p50/p95, errors;
* **one long conversation** (on one replica): 60 turns, the time of turns 1-5, 26-35
  and 56-60, to see what the history costs;
* **phone calls**: for each level of ``--calls``, that many patients call at once as
  Twilio places a call, in the callers' voice (:mod:`simulation.patient_call`):
  voice-to-voice p50/p95 over every turn, and whether every call was answered.

Over each run, the CPU seconds of each process (Rasa replicas, action servers,
Duckling, HAProxy, Redis, PostgreSQL) are read from ``/proc``, and divided by the
turns served: CPU milliseconds per typed turn, per process.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from simulation.cluster_stack import running_cluster  # noqa: E402
from simulation.cpu_meter import cpu_seconds, service_of  # noqa: E402
from simulation.latency import latency  # noqa: E402
from simulation.patient_call import patient_call  # noqa: E402
from simulation.stack import credentials_with, descendants  # noqa: E402
from simulation.typed_bookings import (  # noqa: E402
    Patient, book, check_bookings, distinct_slots, run_level, staff_chat)

VOICE_TO_VOICE_TARGET_S = 1.5


def process_cpu(stack) -> Dict[int, float]:
    """CPU seconds of every process of the cluster, and PostgreSQL's (a system service)."""
    pids = descendants(stack.process.pid)
    postgres = subprocess.run(["pgrep", "postgres"], capture_output=True, text=True).stdout
    pids += [int(pid) for pid in postgres.split()]
    return {pid: seconds for pid in pids if (seconds := cpu_seconds(pid)) is not None}


def cpu_by_process(before: Dict[int, float], after: Dict[int, float]) -> Dict[str, float]:
    spent: Dict[str, float] = {}
    for pid, seconds in after.items():
        name = service_of(pid)
        if name in ("honcho", "other", "gone"):
            continue
        spent[name] = spent.get(name, 0.0) + seconds - before.get(pid, 0.0)
    return {name: round(value, 2) for name, value in sorted(spent.items())}


def typed_turns(stack, patients: List[Patient]) -> Dict[str, Any]:
    chat = staff_chat(stack)
    before = process_cpu(stack)
    result = run_level(chat, patients, len(patients))
    cpu = cpu_by_process(before, process_cpu(stack))
    result["bookings"] = check_bookings(stack.env["DATABASE_URL"], result.pop("outcomes"))
    result["cpu_s"] = cpu
    turns = result["turns"] or 1
    result["cpu_ms_per_turn"] = {name: round(1000 * s / turns, 1) for name, s in cpu.items()}
    return result


def long_conversation(stack, turns: int) -> Dict[str, Any]:
    """One conversation of ``turns`` questions and thanks, alone on the cluster: how a
    turn's time grows with the history Rasa loads and saves (the tracker store)."""
    chat, seconds = staff_chat(stack), []
    sender = f"long-{os.getpid()}"
    for index in range(turns):
        began = time.perf_counter()
        chat(sender, "quels sont vos horaires ?" if index % 2 == 0 else "merci")
        seconds.append(time.perf_counter() - began)
    windows = {f"turns_{a + 1}_to_{b}": latency(seconds[a:b])
               for a, b in ((0, 5), (25, 35), (turns - 5, turns)) if b <= turns}
    return {"turns": turns, "by_position": windows}


def phone_calls(stack, calls: int, first_number: int) -> Dict[str, Any]:
    async def all_calls() -> List[Any]:
        return await asyncio.gather(*(patient_call(stack, f"+3361{first_number + i:07d}")
                                      for i in range(calls)), return_exceptions=True)

    before = process_cpu(stack)
    outcomes = asyncio.run(all_calls())
    cpu = cpu_by_process(before, process_cpu(stack))
    latencies = [s for o in outcomes if isinstance(o, list) for s in o]
    failed = [type(o).__name__ for o in outcomes if not isinstance(o, list)]
    figures = latency(latencies) if latencies else {}
    return {"calls": calls, "failed": failed, "turns": len(latencies),
            "voice_to_voice_p50_ms": figures.get("p50_ms"),
            "voice_to_voice_p95_ms": figures.get("p95_ms"),
            "held": not failed and bool(figures)
            and figures["p95_ms"] < VOICE_TO_VOICE_TARGET_S * 1000,
            "cpu_s": cpu}


def run_replicas(replicas: int, patients: int, call_levels: Sequence[int],
                 slots: List[datetime], first: int) -> Dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix=f"bench-cluster-{replicas}-") as tmp:
        folder = Path(tmp)
        credentials = credentials_with(folder, max_calls=max(call_levels or [4]),
                                       http_turns_per_minute=100000)
        with running_cluster(folder, replicas=replicas,
                             extra_env={"RASA_CREDENTIALS": str(credentials)}) as stack:
            group = [Patient(first + i, slots[i]) for i in range(patients + 1)]
            stack.register_patients(p.registration for p in group)
            book(staff_chat(stack), group[0])  # warm-up, not counted
            typed = typed_turns(stack, group[1:])
            print(json.dumps({"replicas": replicas, **{k: typed[k] for k in
                              ("turns_per_s", "p50_ms", "p95_ms", "errors") if k in typed}}),
                  flush=True)
            calls = [phone_calls(stack, n, first + 1000 * (i + 1))
                     for i, n in enumerate(call_levels)]
            long = long_conversation(stack, 60) if replicas == 1 else None
            for level in calls:
                print(json.dumps({"replicas": replicas, **{k: v for k, v in level.items()
                                                           if k != "cpu_s"}}), flush=True)
    return {"replicas": replicas, "typed": typed, "phone": calls, "long_conversation": long}


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicas", default="1,2,3")
    parser.add_argument("--patients", type=int, default=20)
    parser.add_argument("--calls", default="2,4")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "cluster.json")
    args = parser.parse_args(argv)
    counts = [int(x) for x in args.replicas.split(",") if x]
    call_levels = [int(x) for x in args.calls.split(",") if x]
    slots = distinct_slots((args.patients + 1) * len(counts), datetime.now(timezone.utc))
    runs = [run_replicas(n, args.patients, call_levels,
                         slots[i * (args.patients + 1):], 10000 * (i + 1))
            for i, n in enumerate(counts)]
    report = {"date": date.today().isoformat(),
              "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
              "what": "typed bookings through HAProxy (7 turns each, all at once) and "
                      "simultaneous phone calls, per number of Rasa replicas",
              "runs": runs}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    failed = sum(r["typed"]["errors"] + r["typed"]["bookings"]["missing"] for r in runs)
    print(f"wrote {args.out}; {failed} failed conversations or missing bookings")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
