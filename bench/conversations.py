"""The conversation benchmark: scripted patients book, move and cancel over the staff
chat of the real stack, and each conversation ends with a look in the database.

Usage: ``python -m bench.conversations [--out bench/results/conversations.json]
[--only ID ...] [--cap 25]``

The conversations are ours (``bench/data/conversations.yml``: 16 bookings, 12 moves,
8 cancellations, mixed ones), written as callers talk; none mirrors the training data
or the held-out sets. Each has a goal, an opening sentence, a wish of time relative to
today (:mod:`simulation.conversations.wishes`) and scripted events, made concrete by
:mod:`simulation.conversations.script`; an adaptive patient
(:mod:`simulation.conversations.patient`) answers whatever the bot asks. Each
conversation has its own patient (file number and phone derived from its id, registered
at the clinic first) and its own sender; the appointments a move or a cancellation needs
are booked beforehand through the clinic's data layer (``ClinicOperations.book``, what
the action server calls), outside the figures
(:class:`simulation.conversations.runner.Clinic`).

Scoring (:mod:`simulation.conversations.scoring`, whose docstring defines a
misunderstood turn): a conversation is *completed* when the database holds exactly what
its goal requires within ``--cap`` patient turns. The report (``--out``) has tasks
completed (count, %), misunderstood turns (total, mean per conversation), conversations
with a misunderstanding, conversations where one question was asked three times or
more, the median of turns to success, silent replies, the most frequent
misunderstandings, and per conversation its turns, misunderstood turns (patient line,
bot reply, why) and transcript.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from simulation.conversations.runner import (  # noqa: E402
    TURN_CAP, Clinic, chat_of, report_of, run_all)
from simulation.conversations.script import DATA, load_entries, registration  # noqa: E402

OUT = ROOT / "bench" / "results" / "conversations.json"


def print_summary(report: Dict[str, Any], out: Path) -> None:
    s = report["summary"]
    print(f"completed: {s['completed']}/{s['conversations']} ({s['completed_pct']} %) "
          f"{s['completed_by_kind']}")
    print(f"misunderstood turns: {s['misunderstood_turns_total']} "
          f"(mean {s['misunderstood_turns_mean']} per conversation), conversations with one: "
          f"{s['conversations_with_a_misunderstanding']}")
    print(f"a question asked 3 times or more: {s['conversations_with_a_question_asked_3_times']} "
          f"conversations; turns to success (median): {s['turns_to_success_median']}; "
          f"silent replies: {s['silent_replies']}")
    print(f"→ {out}")


def run_on_stack(entries: List[Dict[str, Any]], cap: int) -> List[Dict[str, Any]]:
    """Start the stack (SQLite, fresh database), register the patients, run ``entries``."""
    from simulation.stack import running_stack

    with tempfile.TemporaryDirectory() as tmp, running_stack(Path(tmp), sqlite=True) as stack:
        stack.register_patients([registration(e) for e in entries])
        return run_all(entries, Clinic(stack.env["DATABASE_URL"]), chat_of(stack), cap)


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--only", action="append", metavar="ID",
                        help="run this conversation only (repeat for several)")
    parser.add_argument("--cap", type=int, default=TURN_CAP, help="most patient turns")
    parser.add_argument("--data", type=Path, default=DATA)
    args = parser.parse_args(argv)
    entries = load_entries(args.data)
    if args.only:
        entries = [e for e in entries if e["id"] in args.only]
        if not entries:
            parser.error(f"no conversation {args.only}")
    report = report_of(run_on_stack(entries, args.cap))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print_summary(report, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
