"""The conversation benchmark: scripted patients book, move and cancel over the staff
chat of the real stack, and each conversation ends with a look in the database.

Usage: ``python -m bench.conversations [--out bench/results/conversations.json]
[--only ID ...] [--cap 25]``

The conversations are ours (``bench/data/conversations.yml``: 16 bookings, 12 moves,
8 cancellations, mixed ones), written as callers talk; none mirrors the training data
or the held-out sets. Each has a goal, an opening sentence, a wish of time relative to
today (:mod:`bench.conversation_wishes`) and scripted events, made concrete by
:mod:`bench.conversation_script`; an adaptive patient (:mod:`bench.conversation_patient`)
answers whatever the bot asks. Each conversation
has its own patient (file number and phone derived from its id, registered at the
clinic first) and its own sender; the appointments a move or a cancellation needs are
booked beforehand through the clinic's data layer (``ClinicOperations.book``, what the
action server calls), outside the figures.

Scoring (:mod:`bench.conversation_scoring`, whose docstring defines a misunderstood
turn): a conversation is *completed* when the database holds exactly what its goal
requires within ``--cap`` patient turns. The report (``--out``) has tasks completed
(count, %), misunderstood turns (total, mean per conversation), conversations with a
misunderstanding, conversations where one question was asked three times or more, the
median of turns to success, silent replies, the most frequent misunderstandings, and
per conversation its turns, misunderstood turns (patient line, bot reply, why) and
transcript.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.conversation_patient import Line, Patient  # noqa: E402
from bench.conversation_script import (  # noqa: E402
    DATA, identity, load_entries, registration, script_of)
from bench.conversation_scoring import (  # noqa: E402
    FACTS, TIME_REASONS, Row, bot_ended, database_verdict, done_task, joined,
    misunderstood, patterns, question_kind, repeated_questions, summary)
from bench.conversation_wishes import bookable_slots, wish_of  # noqa: E402
from bench.text_chat import latency  # noqa: E402

OUT = ROOT / "bench" / "results" / "conversations.json"
TURN_CAP = 25
Say = Callable[[str, str], List[Dict[str, Any]]]


class Clinic:
    """The stack's clinic database: seeding, reading the patient's appointments."""

    def __init__(self, url: str) -> None:
        from actions.clinic_config import load_clinic_config
        from actions.clinic_operations import ClinicOperations
        from actions.database import make_engine, make_session_factory

        self.config = load_clinic_config()
        self.engine = make_engine(url)
        self.operations = ClinicOperations(make_session_factory(self.engine), self.config)

    def now(self) -> datetime:
        return datetime.now(self.config.timezone)

    def seed(self, patient_id: str, spec: Dict[str, Any]) -> Tuple[Row, str]:
        """Book the appointment a move or cancellation starts from: the first free slot
        from ``at`` on the first open day of ``day``; the row and the day expression."""
        from actions.clinic_operations import SlotTaken

        wish = wish_of({"day": spec["day"], "not_before": spec["at"],
                        "doctor": spec.get("doctor")}, self.now().date(), self.config, self.now())
        patient = self.operations.find_patient(patient_id)
        for start in sorted(bookable_slots(wish, self.config, self.now())):
            try:
                done = self.operations.book(patient, start, spec.get("doctor"))
            except SlotTaken:
                continue
            return Row(done.id, done.doctor_id, done.start, done.status), wish.day_said
        raise RuntimeError(f"no free slot to seed {spec} for {patient_id}")

    def rows_of(self, patient_id: str) -> List[Row]:
        from sqlalchemy import text

        query = text("SELECT a.id, a.doctor_id, a.start_at, a.status FROM appointments a "
                     "JOIN patients p ON p.id = a.patient_id "
                     "WHERE p.clinic_patient_id = :pid ORDER BY a.id")
        with self.engine.connect() as connection:
            found = connection.execute(query, {"pid": patient_id}).all()
        return [Row(i, doctor, self._local(start), status) for i, doctor, start, status in found]

    def count(self) -> int:
        from sqlalchemy import text

        with self.engine.connect() as connection:
            return connection.execute(text("SELECT COUNT(*) FROM appointments")).scalar()

    def _local(self, stored: Any) -> datetime:
        """A stored naive-UTC start (text on SQLite) in the clinic's time zone."""
        moment = datetime.fromisoformat(stored) if isinstance(stored, str) else stored
        return moment.replace(tzinfo=timezone.utc).astimezone(self.config.timezone)


def run_conversation(entry: Dict[str, Any], clinic: Clinic, say: Say,
                     cap: int = TURN_CAP) -> Dict[str, Any]:
    """One conversation on the stack, scored; its patient must be registered."""
    patient_id = identity(entry)[0]
    seeded = [clinic.seed(patient_id, spec) for spec in entry.get("seed") or ()]
    script = script_of(entry, clinic, seeded)
    patient, now = Patient(script, clinic.now()), clinic.now()
    rows_before, sender = clinic.count(), f"bench-conv-{entry['id']}-{time.time_ns()}"
    said: set = set()
    identity_wrong, transcript, times, capped = False, [], [], False
    line: Optional[Line] = patient.opening()
    while line is not None:
        began = time.perf_counter()
        messages = say(sender, line.text)
        times.append(time.perf_counter() - began)
        texts = [m["text"] for m in messages if m.get("text")]
        identity_wrong = line.wrong or (identity_wrong and "patient_id" not in line.gives)
        why = misunderstood(line, texts, said, patient.done, patient.script.wish,
                            identity_wrong, now)
        said = ((said - line.forgets) | line.gives) & set(FACTS)
        if any(reason in joined(texts) for reason in TIME_REASONS):
            said.discard("time")
        transcript.append({"patient": line.text, "bot": " ".join(texts), "why": why,
                           "question": question_kind(texts), "done": done_task(texts),
                           "silent": not texts and not any(m.get("custom") for m in messages)})
        if line.stops or bot_ended(texts):
            break
        capped = len(transcript) >= cap
        line = None if capped else patient.reply_to(texts)
    return _scored(entry, patient, seeded, transcript, times, capped,
                   clinic.rows_of(patient_id), clinic.count() - rows_before)


def _scored(entry, patient: Patient, seeded, transcript, times, capped, rows, added):
    goal = patient.goal
    target = seeded[entry.get("target", 0)][0].id if seeded else None
    wish = patient.script.wish if goal == "move" else replace(patient.script.wish, not_at=None)
    ok, detail = database_verdict(goal, wish, [s[0] for s in seeded], target, rows, added)
    success = next((i + 1 for i, t in enumerate(transcript) if t["done"] == goal), None)
    return {
        "id": entry["id"], "kind": entry["kind"], "goal": goal,
        "completed": ok and not capped, "database": detail, "capped": capped,
        "turns": len(transcript), "turns_to_success": success if ok and not capped else None,
        "misunderstood": [{"turn": i + 1, "patient": t["patient"], "bot": t["bot"], "why": t["why"],
                           "answering": transcript[i - 1]["question"] if i else "opening",
                           "asked": t["question"]}
                          for i, t in enumerate(transcript) if t["why"]],
        "asked_3_times": repeated_questions([t["question"] for t in transcript]),
        "silent_replies": sum(t["silent"] for t in transcript),
        "wish": patient.script.wish.to_json(),
        "turn_seconds": [round(s, 3) for s in times],
        "transcript": [{"patient": t["patient"], "bot": t["bot"]} for t in transcript],
    }


def report_of(results: List[Dict[str, Any]]) -> Dict[str, Any]:
    seconds = [s for r in results for s in r["turn_seconds"]]
    return {"date": datetime.now().isoformat(timespec="seconds"),
            "summary": summary(results),
            "turn_ms": latency(seconds) if seconds else None,
            "reasons": dict(Counter(w for r in results for m in r["misunderstood"] for w in m["why"])),
            "patterns": patterns(results), "conversations": results}


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


def chat_of(stack: Any) -> Say:
    def say(sender: str, text: str) -> List[Dict[str, Any]]:
        reply = stack.staff_say(sender, text)
        reply.raise_for_status()
        return reply.json()
    return say


def run_all(entries, clinic: Clinic, say: Say, cap: int = TURN_CAP) -> List[Dict[str, Any]]:
    results = []
    for entry in entries:
        results.append(run_conversation(entry, clinic, say, cap))
        r = results[-1]
        print(f"{r['id']}: {'completed' if r['completed'] else 'NOT completed'} in {r['turns']} "
              f"turns, {len(r['misunderstood'])} misunderstood ({r['database']})", flush=True)
    clinic.engine.dispose()
    return results


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
