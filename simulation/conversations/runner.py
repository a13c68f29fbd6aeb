"""The conversation benchmark's run, on any stack: each conversation of
``bench/data/conversations.yml`` played by its scripted patient over a chat
(``say(sender, text)``: the staff chat of the started stack), then scored against what
the clinic's database holds.

:class:`Clinic` seeds the appointments a move or a cancellation starts from through the
clinic's data layer (``ClinicOperations.book``, what the action server calls), outside
the figures, and reads back the patient's appointments; :func:`run_conversation` plays
and scores one conversation (:mod:`simulation.conversations.scoring`), :func:`run_all`
every one, and :func:`report_of` makes the report of ``bench/conversations.py``.
"""
from __future__ import annotations

import time
from collections import Counter
from dataclasses import replace
from datetime import datetime, timezone
from typing import Any, Callable, Dict, List, Optional, Tuple

from simulation.conversations.patient import Line, Patient
from simulation.conversations.script import identity, script_of
from simulation.conversations.scoring import (
    FACTS, TIME_REASONS, Row, bot_ended, database_verdict, done_task, joined,
    misunderstood, patterns, question_kind, repeated_questions, summary)
from simulation.conversations.wishes import bookable_slots, wish_of
from simulation.latency import latency

TURN_CAP = 25
Say = Callable[[str, str], List[Dict[str, Any]]]


class Clinic:
    """The stack's clinic database: seeding, reading the patient's appointments."""

    def __init__(self, url: str) -> None:
        from clinic.config import load_clinic_config
        from clinic.operations import ClinicOperations
        from clinic.database import make_engine, make_session_factory

        self.config = load_clinic_config()
        self.engine = make_engine(url)
        self.operations = ClinicOperations(make_session_factory(self.engine), self.config)

    def now(self) -> datetime:
        return datetime.now(self.config.timezone)

    def seed(self, patient_id: str, spec: Dict[str, Any]) -> Tuple[Row, str]:
        """Book the appointment a move or cancellation starts from: the first free slot
        from ``at`` on the first open day of ``day``; the row and the day expression."""
        from clinic.operations import SlotTaken

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

