"""From what the caller said about a time to a free slot, or to slots to offer.

An exact time that is free is taken; a day or a part of a day gets its first
free times offered; a time that is taken, closed, past or beyond the booking
horizon gets the three nearest free slots offered (for a time too far ahead, the
last ones before the horizon, whose date is said). Once slots are offered, the caller may pick one
("le deuxième", "celui de 10h", "oui" when there is one).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Dict, List, Optional

from actions.choices import pick_offered_slot
from spoken_french.yes_no import parse_yes_no
from clinic.operations import ClinicOperations, SlotTaken
from clinic.scheduling import Slot, SlotRejected
from spoken_french.say import say_date, say_datetime, say_list, say_time
from actions.time_entities import WishedTime, wished_time_from_slot
from actions.time_wishes import TimeWishes

OFFER_COUNT = 3
# How far ahead hours without a day are searched (« pas avant 15 h »).
SEARCH_WINDOW = timedelta(days=14)

REJECTION_EXPLANATIONS = {
    SlotRejected.PAST: "Ce moment est déjà passé.",
    SlotRejected.CLOSED_DAY: "Le cabinet est fermé ce jour-là.",
    SlotRejected.OUTSIDE_HOURS: "Le cabinet ne reçoit pas à cette heure-là.",
    SlotRejected.OFF_GRID: "Les rendez-vous commencent à l'heure pile ou à la demie.",
    SlotRejected.UNKNOWN_DOCTOR: "Je ne connais pas ce médecin.",
}
# The booking horizon, with its last day (see explain_rejection).
TOO_FAR = "Je peux prendre des rendez-vous jusqu'au {last_day}."
TAKEN = "Ce créneau est déjà pris."


def explain_rejection(reason: str, operations: ClinicOperations) -> str:
    """Why a time cannot be booked, in one sentence; the horizon with its date
    ("Je peux prendre des rendez-vous jusqu'au mardi 23 février 2027.")."""
    if reason == SlotRejected.TOO_FAR:
        now = operations.now()
        last = (now + operations.config.booking_horizon).astimezone(operations.config.timezone)
        return TOO_FAR.format(last_day=say_date(last.date(), now.date()))
    return REJECTION_EXPLANATIONS[reason]


@dataclass
class Resolution:
    """Outcome: a chosen slot, or slots to offer with what to say, or a failure."""

    chosen: Optional[Slot] = None
    offers: List[Slot] = field(default_factory=list)
    explanation: str = ""
    understood: bool = True
    wishes: Optional[Dict[str, Any]] = None  # every wish so far, for the time_wishes slot


def slot_to_value(slot: Slot) -> Dict[str, Any]:
    return {"start": slot.start.isoformat(), "end": slot.end.isoformat(), "doctor_id": slot.doctor_id}


def slot_from_value(value: Dict[str, Any]) -> Slot:
    return Slot(
        datetime.fromisoformat(value["start"]),
        datetime.fromisoformat(value["end"]),
        value["doctor_id"],
    )


def resolve_time_wish(
    operations: ClinicOperations,
    text: str,
    wish: Optional[WishedTime],
    offered: List[Slot],
    doctor_id: Optional[str],
    exclude: Optional[datetime] = None,
    wishes: Optional[TimeWishes] = None,
) -> Resolution:
    """Decide what to do with the caller's answer about a time; ``wishes``: all the
    caller said about the time so far (:mod:`actions.time_wishes`) when this answer
    added to it, else None."""
    if offered:
        picked = _pick(text, wish, offered)
        if picked is not None:
            return Resolution(chosen=picked)
    if wishes is not None and wishes.constrains:  # « non, plutôt en fin de journée »
        return search_wishes(operations, wishes, wish, doctor_id, exclude)
    if offered and wish is None and parse_yes_no(text) is False:
        return Resolution(explanation="D'accord, cherchons un autre moment.")
    if wish is None:
        return Resolution(understood=False)
    if wish.kind == "instant":
        return _exact(operations, wish.start, doctor_id, exclude)
    end = wish.end or wish.start.replace(hour=23, minute=59)
    free = [s for s in operations.free_slots_between(wish.start, end, doctor_id) if s.start != exclude]
    if free:
        return Resolution(offers=free[:OFFER_COUNT])
    nearest = nearest_offers(operations, _anchor(operations, wish.start), doctor_id, exclude)
    explanation = "Il n'y a plus de place à ce moment-là."
    if end <= operations.now():
        explanation = REJECTION_EXPLANATIONS[SlotRejected.PAST]
    elif wish.start > operations.now() + operations.config.booking_horizon:
        explanation = explain_rejection(SlotRejected.TOO_FAR, operations)
    elif wish.kind == "day" and _closed(operations, wish.start, doctor_id):
        explanation = REJECTION_EXPLANATIONS[SlotRejected.CLOSED_DAY]
    return Resolution(offers=nearest, explanation=explanation)


def search_wishes(
    operations: ClinicOperations,
    wishes: TimeWishes,
    wish: Optional[WishedTime],
    doctor_id: Optional[str],
    exclude: Optional[datetime],
) -> Resolution:
    """Free slots that fit every wish: the day said (or from now on), the hours, the
    days excluded; « vers 11 h » gets the nearest first. When the day has none, the
    same hours on the next days, said so."""
    scope = wished_time_from_slot(wishes.day, str(operations.config.timezone))
    if wishes.exact is not None and scope is not None and scope.kind == "day":
        start = scope.start.replace(hour=wishes.exact // 60, minute=wishes.exact % 60)
        return _exact(operations, start, doctor_id, exclude)
    if wishes.exact is not None and wish is not None and wish.kind == "instant" and scope is None:
        return _exact(operations, wish.start, doctor_id, exclude)
    now = operations.now()
    horizon = now + operations.config.booking_horizon
    low = max(scope.start, now) if scope else now
    high = min(scope.end or horizon, horizon) if scope else min(now + SEARCH_WINDOW, horizon)
    offers = _fitting(operations, wishes, low, high, doctor_id, exclude)
    if offers:
        return Resolution(offers=offers)
    later = _fitting(operations, wishes, high, horizon, doctor_id, exclude)
    if later:
        return Resolution(offers=later, explanation="Il n'y a plus de place à ce moment-là.")
    return Resolution(
        offers=nearest_offers(operations, _anchor(operations, low), doctor_id, exclude),
        explanation="Je n'ai pas de créneau qui corresponde à tout cela.",
    )


def _fitting(
    operations: ClinicOperations, wishes: TimeWishes, low: datetime, high: datetime,
    doctor_id: Optional[str], exclude: Optional[datetime],
) -> List[Slot]:
    """Up to three free slots of the first day that has any, in ``[low, high)``."""
    if high <= low:
        return []
    zone = operations.config.timezone
    free = [s for s in operations.free_slots_between(low, high, doctor_id)
            if s.start != exclude and wishes.accepts(s.start.astimezone(zone))]
    if not free:
        return []
    first_day = [s for s in free if s.start.astimezone(zone).date() == free[0].start.astimezone(zone).date()]
    if wishes.around is not None:
        def distance(slot: Slot) -> int:
            local = slot.start.astimezone(zone)
            return abs(local.hour * 60 + local.minute - wishes.around)
        first_day = sorted(first_day, key=lambda s: (distance(s), s.start))
    return sorted(first_day[:OFFER_COUNT], key=lambda s: s.start)


def _closed(operations: ClinicOperations, day_start: datetime, doctor_id: Optional[str]) -> bool:
    config = operations.config
    doctors = [config.doctor(doctor_id)] if doctor_id else list(config.doctors)
    return not any(config.hours_of(d, day_start.date()) for d in doctors)


def _pick(text: str, wish: Optional[WishedTime], offered: List[Slot]) -> Optional[Slot]:
    starts = [s.start for s in offered]
    if len(offered) == 1 and wish is None and parse_yes_no(text) is True:
        return offered[0]
    exact = wish.start if wish is not None and wish.kind == "instant" else None
    chosen = pick_offered_slot(text, starts, exact)
    if chosen is None:
        return None
    return offered[starts.index(chosen)]


def _exact(
    operations: ClinicOperations,
    start: datetime,
    doctor_id: Optional[str],
    exclude: Optional[datetime],
) -> Resolution:
    if start == exclude:
        return Resolution(
            offers=nearest_offers(operations, start, doctor_id, exclude),
            explanation="Votre rendez-vous est déjà à cette heure-là.",
        )
    try:
        return Resolution(chosen=operations.free_slot_at(start, doctor_id))
    except SlotRejected as rejected:
        explanation = explain_rejection(rejected.reason, operations)
    except SlotTaken:
        explanation = TAKEN
    anchor = _anchor(operations, start)
    return Resolution(offers=nearest_offers(operations, anchor, doctor_id, exclude), explanation=explanation)


def _anchor(operations: ClinicOperations, wished: datetime) -> datetime:
    """Where to look for the nearest free slots: the wished time, brought back
    between now and the booking horizon."""
    now = operations.now()
    return min(max(wished, now), now + operations.config.booking_horizon)


def nearest_offers(
    operations: ClinicOperations, anchor: datetime, doctor_id: Optional[str], exclude: Optional[datetime]
) -> List[Slot]:
    slots = [s for s in operations.nearest_free_slots(anchor, OFFER_COUNT + 1, doctor_id) if s.start != exclude]
    return sorted(sorted(slots, key=lambda s: (abs(s.start - anchor), s.start))[:OFFER_COUNT])


def say_offers(offers: List[Slot], now: datetime) -> str:
    """ "Je peux vous proposer mardi 1er décembre à 9 heures, à 9 heures 30 ou à 10 heures." """
    today = now.date()
    if len(offers) == 1:
        return f"Je peux vous proposer {say_datetime(offers[0].start, today)}. Cela vous convient-il ?"
    days = {s.start.date() for s in offers}
    if len(days) == 1:
        times = say_list([f"à {say_time(s.start)}" for s in offers], last_word="ou")
        choices = f"{say_date(offers[0].start.date(), today)} {times}"
    else:
        choices = say_list([say_datetime(s.start, today) for s in offers], last_word="ou")
    return f"Je peux vous proposer {choices}. Lequel préférez-vous ?"
