"""The typed-turn benchmark: C patients booking at once over the staff chat, and what
each stage of a turn costs.

Usage: ``python bench/text_turns.py [--levels 1,5,20,50] [--probe-levels 1,20]
[--database sqlite|postgres] [--out bench/results/text_turns.json]``

For each level C, ``max(C, --min-conversations)`` patients each book a full appointment
(intent, last name, first name, patient ID, phone, day and time, « oui »: 7 turns) over
the staff chat (``/webhooks/staff/webhook``, Rasa's REST protocol behind the staff
chat's token), C of them in flight at any time, each on a slot of its own. The patients
are registered at the clinic before anything is timed (the shipped clinic.yml books
registered patients only); the staff chat is not capped per caller. Every turn's answer is
checked (the question that must come next); every confirmed booking is then looked up
in the clinic's database. Per level: turn p50/p95/max, turns per second, errors
(:mod:`simulation.typed_bookings`).

The stage breakdown runs on a second stack started with ``simulation/stage_probe`` on
its ``PYTHONPATH`` (its ``sitecustomize`` times Rasa's NLU, Duckling, policies, action
server calls and tracker store, and the action server's own code and SQL), at the
``--probe-levels``: per stage, milliseconds per turn and per call (p50/p95,
:mod:`simulation.stage_timings`). The headline figures come from the stack without the
probe.

Results go to ``bench/results/text_turns.json``.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from simulation.stage_timings import PROBE, stage_summary  # noqa: E402
from simulation.typed_bookings import (  # noqa: E402
    Patient, book, check_bookings, distinct_slots, run_level, staff_chat)


def patients_for(levels: Sequence[int], minimum: int, slots: List[datetime],
                 first_number: int) -> Dict[int, List[Patient]]:
    out, n = {}, first_number
    for level in levels:
        count = max(level, minimum)
        out[level] = [Patient(n + i, slots[n + i - first_number]) for i in range(count)]
        n += count
    return out


def run_stack(levels: Sequence[int], minimum: int, database: str, probe: bool,
              first_number: int, slots: List[datetime]) -> Dict[str, Any]:
    from simulation.stack import running_stack

    with tempfile.TemporaryDirectory(prefix="bench-text-turns-") as tmp:
        tmp_path = Path(tmp)
        extra: Dict[str, str] = {}
        timings = tmp_path / "timings"
        if probe:
            timings.mkdir()
            extra = {"PYTHONPATH": f"{PROBE}{os.pathsep}{ROOT}", "STAGE_TIMINGS_DIR": str(timings)}
        groups = patients_for(levels, minimum, slots, first_number)
        results = []
        warm_up = Patient(first_number - 1, slots[-1])
        with running_stack(tmp_path, extra_env=extra, sqlite=(database == "sqlite")) as stack:
            # Before any timing: the clinic's register (clinic.yml: registered only).
            stack.register_patients(p.registration for p in
                                    [warm_up, *(p for g in groups.values() for p in g)])
            chat = staff_chat(stack)
            book(chat, warm_up)  # warm-up, not counted
            for level in levels:
                for path in timings.glob("*.jsonl"):
                    path.write_text("", encoding="utf-8")
                result = run_level(chat, groups[level], level)
                outcomes = result.pop("outcomes")
                result["bookings"] = check_bookings(stack.env["DATABASE_URL"], outcomes)
                if probe:
                    time.sleep(0.5)  # the last lines of the action server
                    result["stages"] = stage_summary(timings, result["turns"])
                print(json.dumps({k: v for k, v in result.items() if k != "stages"}), flush=True)
                results.append(result)
        return {"probe": probe, "database": database, "levels": results}


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--levels", default="1,5,20,50")
    parser.add_argument("--probe-levels", default="1,20", help="'' to skip the breakdown")
    parser.add_argument("--min-conversations", type=int, default=10)
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "text_turns.json")
    args = parser.parse_args(argv)
    levels = [int(x) for x in args.levels.split(",") if x]
    probe_levels = [int(x) for x in args.probe_levels.split(",") if x]

    total = sum(max(c, args.min_conversations) for c in levels + probe_levels) + 2
    slots = distinct_slots(total, datetime.now(timezone.utc))
    plain = run_stack(levels, args.min_conversations, args.database, False, 1, slots)
    used = sum(max(c, args.min_conversations) for c in levels)
    probed = (run_stack(probe_levels, args.min_conversations, args.database, True,
                        used + 2, slots[used + 1:]) if probe_levels else None)
    report = {
        "date": date.today().isoformat(),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "what": "patients booking over the staff chat (7 turns each), C at a time",
        "levels": plain["levels"],
        "stage_breakdown": probed["levels"] if probed else [],
        "database": args.database,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    failed = sum(level["errors"] + level["bookings"]["missing"]
                 for level in report["levels"] + report["stage_breakdown"])
    print(f"wrote {args.out}; {failed} failed conversations or missing bookings")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
