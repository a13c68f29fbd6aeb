"""Patients booking an appointment by typed turns over the staff chat, many at once:
the typed-turn benchmark's patients (``bench/text_turns.py``) and its bookkeeping.

Each :class:`Patient` books on a slot of its own (:func:`distinct_slots`) in seven turns
(intent, last name, first name, patient ID, phone, day and time, « oui »), every answer
checked against the question that must come next (:func:`book`); :func:`run_level`
runs them C at a time and times every turn; :func:`check_bookings` looks each confirmed
booking up in the clinic's database. The patients must be registered first
(:attr:`Patient.registration`): the shipped clinic.yml books registered patients only.
"""
from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple

from simulation.latency import latency

LAST_NAMES = ["Lefebvre", "Moreau", "Girard", "Fontaine", "Mercier", "Chevalier", "Garnier",
              "Faure", "Rousseau", "Blanc", "Guerin", "Muller", "Henry", "Roussel", "Nicolas"]
FIRST_NAMES = ["Camille", "Louise", "Hugo", "Chloé", "Jules", "Manon", "Arthur", "Inès",
               "Lucas", "Sarah", "Paul", "Emma", "Nathan", "Alice", "Théo"]

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
    from clinic.config import load_clinic_config
    from clinic.scheduling import doctor_slots_on

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

    from clinic.database import make_engine

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
