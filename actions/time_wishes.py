"""Everything a caller said about the time, kept across answers and corrections.

« demain, même heure, 18 h », « plutôt l'après-midi », « pas avant 15 h », « vers
onze heures », « en fin de journée », « pas le mercredi », « la semaine prochaine le
matin »: each answer adds to what was said before, and replaces only what it speaks
of (« non, le soir » changes the part of the day and keeps tomorrow). The slot
``time_wishes`` holds :class:`TimeWishes`; :mod:`actions.time_wish` searches the
calendar with all of them.

Duckling reads the day (its time entities); the part of the day, the earliest and
latest hours, « vers » and the excluded weekdays are read here, in French, because
Duckling has no negation (« pas avant 15 h » is « avant 15 h » to it).
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass, replace
from datetime import datetime, time, timedelta
from typing import Any, Dict, List, Optional, Tuple

from actions.time_entities import WishedTime
from spoken_french.normalize import plain_words
from spoken_french.numbers import digits_from_speech

WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
_HOUR = r"(\d{1,2}|[a-z\-]+(?:\s+et\s+une?)?)\s*(?:heures?|h)\s*(\d{2}|et\s+demie|trente|quinze)?"
_PARTS: Tuple[Tuple[str, int, int], ...] = (  # minutes after midnight, end exclusive
    (r"fin (?:de|d) (?:la )?matinee", 10 * 60, 12 * 60),
    (r"debut (?:de|d) (?:l )?apres midi", 13 * 60, 15 * 60),
    (r"fin (?:de|d) (?:l )?apres midi|fin (?:de|d) (?:la )?journee", 16 * 60, 24 * 60),
    (r"apres midi|aprem", 13 * 60, 24 * 60),
    (r"matin|matinee", 0, 12 * 60),
    (r"midi|heure du dejeuner", 12 * 60, 14 * 60),
    (r"soir|soiree", 17 * 60, 24 * 60),
)
_EARLIEST = rf"(?:pas avant|(?<!pas )apres|a partir de|(?<!pas )plus tard que|pas plus tot que)\s+{_HOUR}"
_LATEST = rf"(?:pas apres|(?<!pas )avant|au plus tard a?|jusqu a|(?<!pas )plus tot que|pas plus tard que)\s+{_HOUR}"
_AROUND = rf"(?:vers|aux alentours de|autour de|environ)\s+{_HOUR}"
_EXCLUDED_DAY = r"(?:pas|sauf|hors|ni|surtout pas|jamais)\s+(?:le\s+|les\s+)?({days})s?\b"
_DAY_WORDS = re.compile(
    r"\b(?:aujourd hui|demain|apres demain|semaine|mois|prochain|prochaine|lendemain"
    r"|ce (?:matin|soir|midi)|cet apres midi|\d{1,2}(?:er)? (?:janvier|fevrier|mars|avril|mai"
    r"|juin|juillet|aout|septembre|octobre|novembre|decembre)|le \d{1,2}(?:er)?\b|"
    + "|".join(WEEKDAYS) + r")\b"
)


@dataclass(frozen=True)
class TimeWishes:
    """The caller's constraints; times of day in minutes after midnight."""

    day: Optional[Dict[str, Any]] = None  # a WishedTime.to_slot() value: the day scope
    exact: Optional[int] = None  # « à 18 h »
    earliest: Optional[int] = None
    latest: Optional[int] = None
    around: Optional[int] = None  # « vers 11 h »
    excluded_weekdays: Tuple[int, ...] = ()

    def to_slot(self) -> Dict[str, Any]:
        value = asdict(self)
        value["excluded_weekdays"] = list(self.excluded_weekdays)
        return value

    @classmethod
    def from_slot(cls, value: Any) -> "TimeWishes":
        if not isinstance(value, dict):
            return cls()
        known = {k: v for k, v in value.items() if k in cls.__dataclass_fields__}
        known["excluded_weekdays"] = tuple(known.get("excluded_weekdays") or ())
        return cls(**known)

    @property
    def has_hours(self) -> bool:
        return any(v is not None for v in (self.exact, self.earliest, self.latest, self.around))

    @property
    def constrains(self) -> bool:
        """Whether there is more to search with than one wished time."""
        return self.has_hours or bool(self.excluded_weekdays)

    def accepts(self, start: datetime) -> bool:
        """Whether a slot starting at ``start`` (clinic time) fits every wish but the day."""
        minute = start.hour * 60 + start.minute
        if start.weekday() in self.excluded_weekdays:
            return False
        if self.exact is not None and minute != self.exact:
            return False
        if self.earliest is not None and minute < self.earliest:
            return False
        return self.latest is None or minute < self.latest


def _minutes(hour_words: str, minute_words: Optional[str]) -> Optional[int]:
    digits = digits_from_speech(hour_words.replace("-", " "))
    if not digits or not digits.isdigit() or int(digits) > 23:
        return None
    minutes = 0
    if minute_words:
        if minute_words.startswith("et") or minute_words == "trente":
            minutes = 30
        elif minute_words == "quinze":
            minutes = 15
        elif minute_words.isdigit() and int(minute_words) < 60:
            minutes = int(minute_words)
    return int(digits) * 60 + minutes


def _first_hour(pattern: str, said: str) -> Optional[int]:
    match = re.search(pattern, said)
    return _minutes(match.group(1), match.group(2)) if match else None


def _hours_said(said: str, instant: Optional[WishedTime]) -> Dict[str, Optional[int]]:
    """The hour wishes of one answer (only those it speaks of are keys)."""
    found: Dict[str, Optional[int]] = {}
    for pattern, start, end in _PARTS:
        if re.search(rf"\b(?:{pattern})\b", said):
            found.update(earliest=start or None, latest=end if end < 24 * 60 else None,
                         exact=None, around=None)
            break
    for key, pattern in (("earliest", _EARLIEST), ("latest", _LATEST), ("around", _AROUND)):
        value = _first_hour(pattern, said)
        if value is not None:
            found.update({key: value, "exact": None})
    if not found and instant is not None:
        found.update(exact=instant.start.hour * 60 + instant.start.minute, earliest=None,
                     latest=None, around=None)
    return found


def read_wishes(before: TimeWishes, text: str, entities: List[WishedTime]) -> TimeWishes:
    """``before`` updated with one answer: its text and the wished times Duckling read
    in it. The day changes only when the answer names one (« non, le soir » keeps
    tomorrow); the hours only when it speaks of hours; excluded days add up."""
    # « avant midi » is an hour, « l'après-midi » a part of the day.
    said = re.sub(r"\b(avant|vers|jusqu a|pas apres|a partir de|au plus tard a?) midi\b", r"\1 12 h",
                  plain_words(text))
    exclusion = _EXCLUDED_DAY.format(days="|".join(WEEKDAYS))
    excluded = {WEEKDAYS.index(d) for d in re.findall(exclusion, said)}
    wishes = replace(before, excluded_weekdays=tuple(sorted(set(before.excluded_weekdays) | excluded)))
    if _DAY_WORDS.search(re.sub(exclusion, " ", said)) and entities:
        widest = max((_whole_day(e) if e.kind == "instant" else e for e in entities),
                     key=lambda e: (e.end or e.start + timedelta(days=365)) - e.start)
        wishes = replace(wishes, day=widest.to_slot())
    instant = next((e for e in entities if e.kind == "instant"), None)
    hours = _hours_said(said, instant)
    return replace(wishes, **hours) if hours else wishes


def speaks_of_a_day(text: str) -> bool:
    """Whether ``text`` names a day (« mercredi », « demain », « le 14 », « la semaine
    prochaine »), not only hours."""
    return bool(_DAY_WORDS.search(plain_words(text)))


def _whole_day(moment: WishedTime) -> WishedTime:
    start = datetime.combine(moment.start.date(), time(0), tzinfo=moment.start.tzinfo)
    return WishedTime(start, start + timedelta(days=1), "day")
