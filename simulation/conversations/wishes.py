"""When a patient of the conversation benchmark wants to come, and what the bot offers.

A wish is written in ``bench/data/conversations.yml`` the way a caller says it
(« mardi prochain vers dix heures », « la semaine prochaine, le matin »), with its
meaning beside it: ``day`` (one expression, or several separated by ``|`` of which the
first the clinic is open on is kept: the bench runs any day), and the constraints
``around`` (± an hour), ``not_before``, ``before``, ``part`` (« matin »: starts before
12 h 30, « après-midi »: from 13 h) and ``doctor``. :func:`wish_of` turns it into a
:class:`Wish` of real dates, relative to today; :meth:`Wish.misses` says which
constraints a time breaks, for the patient (who turns down an offer) and for the
database check (the booked time must fit).

Day expressions: « demain », « après-demain », a weekday (the next one after today),
« <weekday> prochain » (the next one, or the one a week later: French says both),
« cette semaine », « la semaine prochaine ».
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from clinic.config import ClinicConfig
from clinic.scheduling import slots_between
from spoken_french.say import FRENCH_MONTHS, FRENCH_WEEKDAYS

AROUND = timedelta(hours=1)
MORNING_ENDS = time(12, 30)
AFTERNOON_STARTS = time(13, 0)
PARTS = ("matin", "après-midi")
CONSTRAINTS = ("around", "not_before", "before", "part", "doctor")


@dataclass(frozen=True)
class Wish:
    """When the patient wants to come; an empty ``days`` is any day."""
    days: Tuple[date, ...] = ()
    around: Optional[time] = None
    not_before: Optional[time] = None
    before: Optional[time] = None
    part: Optional[str] = None
    doctor: Optional[str] = None
    day_said: str = ""  # the day expression kept (« jeudi »), for the patient's lines
    not_at: Optional[datetime] = None  # a move: the appointment's current time

    def misses(self, start: datetime, doctor_id: Optional[str] = None) -> List[str]:
        """The constraints an appointment at ``start`` (the clinic's local time) breaks:
        "day", "part", "not_before", "before", "around", "doctor", "same"."""
        missed = []
        clock = start.time()
        if self.days and start.date() not in self.days:
            missed.append("day")
        if self.part == "matin" and clock >= MORNING_ENDS:
            missed.append("part")
        if self.part == "après-midi" and clock < AFTERNOON_STARTS:
            missed.append("part")
        if self.not_before and clock < self.not_before:
            missed.append("not_before")
        if self.before and clock >= self.before:
            missed.append("before")
        if self.around and abs(_minutes(clock) - _minutes(self.around)) > AROUND.seconds // 60:
            missed.append("around")
        if self.doctor and doctor_id and doctor_id != self.doctor:
            missed.append("doctor")
        if self.not_at is not None and start == self.not_at:
            missed.append("same")
        return missed

    def fits(self, start: datetime, doctor_id: Optional[str] = None) -> bool:
        return not self.misses(start, doctor_id)

    def to_json(self) -> Dict[str, Any]:
        return {"days": [d.isoformat() for d in self.days], "day_said": self.day_said,
                **{name: _plain(getattr(self, name)) for name in CONSTRAINTS
                   if getattr(self, name) is not None}}


def _minutes(clock: time) -> int:
    return clock.hour * 60 + clock.minute


def _plain(value: Any) -> Any:
    return value.strftime("%H:%M") if isinstance(value, time) else value


def days_of(expression: str, today: date) -> List[date]:
    """The days a French day expression can mean, said on ``today``."""
    said = " ".join(expression.lower().split())
    if said == "demain":
        return [today + timedelta(days=1)]
    if said == "après-demain":
        return [today + timedelta(days=2)]
    monday = today - timedelta(days=today.weekday())
    if said == "cette semaine":
        return [today + timedelta(days=n) for n in range(1, 6 - today.weekday())]
    if said == "la semaine prochaine":
        return [monday + timedelta(days=7 + n) for n in range(6)]
    name, _, next_ = said.partition(" ")
    if name in FRENCH_WEEKDAYS and next_ in ("", "prochain"):
        ahead = (FRENCH_WEEKDAYS.index(name) - today.weekday() - 1) % 7 + 1
        first = today + timedelta(days=ahead)
        return [first] if not next_ else [first, first + timedelta(days=7)]
    raise ValueError(f"unknown day expression: {expression!r}")


def wish_of(spec: Mapping[str, Any], today: date, clinic: ClinicConfig,
            now: datetime) -> Wish:
    """The :class:`Wish` of a ``wish:`` mapping of the conversations file: the first of
    its day expressions on which at least one slot of the clinic fits it."""
    base = Wish(
        around=_clock(spec.get("around")), not_before=_clock(spec.get("not_before")),
        before=_clock(spec.get("before")), part=spec.get("part"), doctor=spec.get("doctor"),
    )
    if base.part not in (None, *PARTS):
        raise ValueError(f"unknown part of the day: {base.part!r}")
    expressions = [e.strip() for e in str(spec.get("day") or "").split("|") if e.strip()]
    if not expressions:
        return base
    for expression in expressions:
        wish = replace(base, days=tuple(days_of(expression, today)), day_said=expression)
        if bookable_slots(wish, clinic, now):
            return wish
    raise ValueError(f"no open day among {expressions} for {dict(spec)}")


def bookable_slots(wish: Wish, clinic: ClinicConfig, now: datetime) -> List[datetime]:
    """Starts of the clinic's slots (free or not) that fit ``wish``."""
    found = []
    for day in wish.days:
        start = datetime.combine(day, time.min, tzinfo=clinic.timezone)
        for slot in slots_between(clinic, start, start + timedelta(days=1), now, wish.doctor):
            if wish.fits(slot.start, slot.doctor_id):
                found.append(slot.start)
    return found


def _clock(value: Any) -> Optional[time]:
    if value is None:
        return None
    hours, _, minutes = str(value).partition(":")
    return time(int(hours), int(minutes or 0))


_DATE = (rf"\b(?P<weekday>{'|'.join(FRENCH_WEEKDAYS)}) (?P<day>1er|\d{{1,2}}) "
         rf"(?P<month>{'|'.join(FRENCH_MONTHS)})(?: (?P<year>\d{{4}}))?")
_TIME = r"\bà (?:(?P<hour>\d{1,2}) heures?(?: (?P<minute>\d{1,2}))?|(?P<noon>midi))"
_SAID = re.compile(f"{_DATE}|{_TIME}")


def said_datetimes(text: str, today: date, tz: Any) -> List[datetime]:
    """Every date and time the bot said in ``text``, in order (« mardi 8 décembre à
    9 heures, à 9 heures 30 ou à 10 heures » → three datetimes), aware in ``tz``."""
    found: List[datetime] = []
    day: Optional[date] = None
    for match in _SAID.finditer(text):
        if match.group("weekday"):
            day = _said_day(match, today)
        elif day is not None:
            hour = 12 if match.group("noon") else int(match.group("hour"))
            minute = int(match.group("minute") or 0)
            found.append(datetime.combine(day, time(hour, minute), tzinfo=tz))
    return found


def _said_day(match: "re.Match[str]", today: date) -> date:
    number = 1 if match.group("day") == "1er" else int(match.group("day"))
    month = FRENCH_MONTHS.index(match.group("month")) + 1
    if match.group("year"):
        return date(int(match.group("year")), month, number)
    said = date(today.year, month, number)
    return said if said >= today - timedelta(days=1) else date(today.year + 1, month, number)


def first_fitting(wish: Wish, offered: Sequence[datetime]) -> Optional[int]:
    """Index of the first offered time that fits ``wish`` (doctor unknown), or None."""
    for index, start in enumerate(offered):
        if wish.fits(start):
            return index
    return None
