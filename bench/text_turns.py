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
in the clinic's database. Per level: turn p50/p95/max, turns per second, errors.

The stage breakdown runs on a second stack started with ``bench/stage_probe`` on its
``PYTHONPATH`` (its ``sitecustomize`` times Rasa's NLU, Duckling, policies, action
server calls and tracker store, and the action server's own code and SQL), at the
``--probe-levels``: per stage, milliseconds per turn and per call (p50/p95). The
headline figures come from the stack without the probe.

Results go to ``bench/results/text_turns.json``.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.text_chat import latency  # noqa: E402

PROBE = ROOT / "bench" / "stage_probe"
LAST_NAMES = ["Lefebvre", "Moreau", "Girard", "Fontaine", "Mercier", "Chevalier", "Garnier",
              "Faure", "Rousseau", "Blanc", "Guerin", "Muller", "Henry", "Roussel", "Nicolas"]
FIRST_NAMES = ["Camille", "Louise", "Hugo", "Chloé", "Jules", "Manon", "Arthur", "Inès",
               "Lucas", "Sarah", "Paul", "Emma", "Nathan", "Alice", "Théo"]
# Stages in the order a turn meets them; "other" is the rest of Rasa's turn (events,
# responses, locks, the channel's own work is outside the server turn).
STAGES = ("nlu", "duckling", "policies", "action_server", "action_code", "database",
          "tracker_store")

Chat = Callable[[str, str], List[Dict[str, Any]]]


@dataclass(frozen=True)
class Patient:
    """One patient of the bench, with the slot they ask for (clinic's local time)."""
    number: int
    slot: datetime

    @property
    def sender(self) -> str:
        return f"bench-turns-{self.number}"

    @property
    def patient_id(self) -> str:
        return str(700000 + self.number)

    @property
    def phone(self) -> str:
        n = self.number
        return f"06 {40 + n // 1000000 % 60:02d} {n // 10000 % 100:02d} {n // 100 % 100:02d} {n % 100:02d}"

    @property
    def last_name(self) -> str:
        return LAST_NAMES[self.number % len(LAST_NAMES)]

    @property
    def first_name(self) -> str:
        return FIRST_NAMES[self.number % len(FIRST_NAMES)]

    @property
    def registration(self) -> Tuple[str, str, str, str]:
        """The patient as the clinic registers them (``Stack.register_patients``): the
        shipped clinic.yml books registered patients only."""
        return (self.patient_id, self.last_name, self.first_name, self.phone)

    def turns(self) -> List[tuple]:
        """(what the patient types, a fragment the bot's last message must hold)."""
        from spoken_french.say import say_date

        when = f"{say_date(self.slot.date())} à {self.slot.hour}h{self.slot.minute or ''}"
        return [
            ("bonjour je voudrais prendre un rendez-vous", "nom de famille"),
            (self.last_name, "prénom"),
            (self.first_name, "dossier"),
            (self.patient_id, "téléphone"),
            (self.phone, "Quel jour"),
            (when, "Je confirme ?"),
            ("oui", "C'est noté"),
        ]


def distinct_slots(count: int, now: datetime, first_day_offset: int = 2) -> List[datetime]:
    """``count`` slots of the clinic's grid, one per patient, spread over the days ahead
    (Dr Martin's slots: she works all the clinic's hours), never two the same."""
    from actions.clinic_config import load_clinic_config
    from actions.scheduling import doctor_slots_on

    clinic = load_clinic_config()
    doctor = clinic.doctors[0]
    local_now = now.astimezone(clinic.timezone)
    per_day: List[List[datetime]] = []
    day = local_now.date() + timedelta(days=first_day_offset)
    last = local_now.date() + clinic.booking_horizon - timedelta(days=1)
    while day <= last:
        if day not in clinic.closed_days:
            starts = [s.start for s in doctor_slots_on(clinic, doctor, day, local_now)]
            if starts:
                per_day.append(starts)
        day += timedelta(days=1)
    chosen: List[datetime] = []
    position = 0
    while len(chosen) < count:  # one slot per day in turn, then the next slot of each day
        added = False
        for starts in per_day:
            if position < len(starts):
                chosen.append(starts[position])
                added = True
                if len(chosen) == count:
                    break
        if not added:
            raise ValueError(f"the calendar has fewer than {count} slots ahead")
        position += 1
    return chosen


@dataclass
class Outcome:
    patient: Patient
    turn_seconds: List[float] = field(default_factory=list)
    error: Optional[str] = None

    @property
    def confirmed(self) -> bool:
        return self.error is None


def book(chat: Chat, patient: Patient) -> Outcome:
    """The patient's seven turns; stops at the first answer that is not the expected one."""
    outcome = Outcome(patient)
    for text, expected in patient.turns():
        began = time.perf_counter()
        try:
            messages = chat(patient.sender, text)
        except Exception as error:  # a refused or failed turn is the bench's finding
            outcome.turn_seconds.append(time.perf_counter() - began)
            outcome.error = f"{text!r}: {type(error).__name__}: {error}"[:300]
            return outcome
        outcome.turn_seconds.append(time.perf_counter() - began)
        texts = [m.get("text") or "" for m in messages]
        if not texts or expected not in texts[-1]:
            outcome.error = f"{text!r} → {texts!r} (expected {expected!r})"[:300]
            return outcome
    return outcome


def run_level(chat: Chat, patients: Sequence[Patient], concurrency: int) -> Dict[str, Any]:
    """Every patient books, ``concurrency`` at a time; latency, throughput, errors."""
    began = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        outcomes = list(pool.map(lambda p: book(chat, p), patients))
    wall = time.perf_counter() - began
    seconds = [s for o in outcomes for s in o.turn_seconds]
    errors = [o.error for o in outcomes if o.error]
    return {
        "concurrency": concurrency,
        "conversations": len(patients),
        "turns": len(seconds),
        "wall_s": round(wall, 2),
        "turns_per_s": round(len(seconds) / wall, 1),
        **{k: v for k, v in latency(seconds).items() if k != "count"},
        "errors": len(errors),
        "error_samples": errors[:5],
        "outcomes": outcomes,
    }


def check_bookings(database_url: str, outcomes: Iterable[Outcome]) -> Dict[str, int]:
    """Each confirmed booking must be in the clinic's database, booked, at its slot."""
    from sqlalchemy import text

    from actions.database import make_engine

    confirmed = [o for o in outcomes if o.confirmed]
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(text(
                "SELECT p.clinic_patient_id, a.start_at, a.status FROM appointments a "
                "JOIN patients p ON p.id = a.patient_id")).all()
    finally:
        engine.dispose()
    found = {(pid, _utc_naive(start), status) for pid, start, status in rows}
    missing = [o.patient.patient_id for o in confirmed
               if (o.patient.patient_id, _utc_naive(o.patient.slot), "booked") not in found]
    return {"confirmed": len(confirmed), "in_database": len(confirmed) - len(missing),
            "missing": len(missing)}


def _utc_naive(moment: Any) -> datetime:
    if isinstance(moment, str):  # raw SQL on SQLite
        moment = datetime.fromisoformat(moment)
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment.replace(microsecond=0)


def stage_summary(directory: Path, turns: int) -> Dict[str, Any]:
    """The probe's JSON lines → per stage: calls, ms per turn, per call p50/p95.

    ``nlu`` includes Duckling and ``action_server`` includes the action code and its SQL
    (they are nested); ``*_own`` give each without what it contains."""
    calls: Dict[str, List[float]] = {}
    for path in sorted(directory.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                entry = json.loads(line)
                calls.setdefault(entry["stage"], []).append(entry["ms"])
    per_turn = {stage: sum(ms) / turns for stage, ms in calls.items()} if turns else {}
    stages = {
        stage: {"calls": len(ms), "ms_per_turn": round(per_turn[stage], 1),
                **{k: v for k, v in latency([m / 1000 for m in ms]).items()
                   if k in ("p50_ms", "p95_ms")}}
        for stage, ms in sorted(calls.items())
    }
    get = lambda stage: per_turn.get(stage, 0.0)  # noqa: E731
    server_turn = get("turn")
    own = {
        "nlu_without_duckling": get("nlu") - get("duckling"),
        "duckling": get("duckling"),
        "policies": get("policies"),
        "action_server_http_and_sdk": get("action_server") - get("action_code"),
        "action_code_without_sql": get("action_code") - get("database"),
        "database": get("database"),
        "tracker_store": get("tracker_store"),
    }
    own["rest_of_rasa_turn"] = server_turn - sum(
        own[k] for k in ("nlu_without_duckling", "duckling", "policies", "tracker_store")
    ) - get("action_server")
    return {
        "turns": turns,
        "server_turn_ms": round(server_turn, 1),
        "ms_per_turn_by_stage": {k: round(v, 1) for k, v in own.items()},
        "calls": stages,
    }


def staff_chat(stack) -> Chat:
    """A typed turn through the stack's staff chat (one keep-alive session per thread);
    a non-200 answer raises."""
    import requests

    session = threading.local()

    def chat(sender: str, message: str) -> List[Dict[str, Any]]:
        if not hasattr(session, "http"):
            session.http = requests.Session()
        reply = stack.staff_say(sender, message, timeout=180, http=session.http)
        if reply.status_code != 200:
            raise RuntimeError(f"HTTP {reply.status_code}: {reply.text[:200]}")
        return reply.json()

    return chat


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
