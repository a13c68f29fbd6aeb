"""The time a caller wishes, from Duckling's time entity as Rasa gives it.

Rasa's DucklingEntityExtractor makes one entity per Duckling match (dim "time"):

* a point in time: ``value`` is an ISO string ("2026-11-27T15:00:00.000+01:00") and
  ``additional_info`` is Duckling's value object ``{"type": "value", "value": …,
  "grain": "hour", "values": [...]}``;
* an interval: ``value`` is ``{"from": iso | None, "to": iso | None}`` and
  ``additional_info`` is ``{"type": "interval", "from": {"value", "grain"},
  "to": {"value", "grain"}, "values": [...]}`` (a missing bound is left out).

Duckling's ``to`` is exclusive when both bounds are given, and it is the outer
bound of the last grain: "de 14h à 16h" ends at 17:00, "demain matin" at 12:00.
This module keeps Duckling's bounds as they are.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Iterable, Literal, Mapping, get_args
from zoneinfo import ZoneInfo

Kind = Literal["instant", "day", "interval"]
KINDS: tuple[str, ...] = get_args(Kind)
EXACT_GRAINS = ("second", "minute", "hour")
_MONTHS_IN_GRAIN = {"month": 1, "quarter": 3, "year": 12}


@dataclass(frozen=True)
class WishedTime:
    """When the caller would like the appointment (timezone-aware, ``end`` exclusive).

    * ``instant``: an exact time ("vendredi à 15h"); ``end`` is None.
    * ``day``: a whole day ("demain"), from 00:00 to the next 00:00.
    * ``interval``: a period ("demain matin", "la semaine prochaine"); ``end`` is
      None when it is open to the future ("à partir de lundi").
    """

    start: datetime
    end: datetime | None
    kind: Kind

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown kind {self.kind!r}")
        if not _is_aware(self.start) or (self.end is not None and not _is_aware(self.end)):
            raise ValueError("WishedTime needs timezone-aware datetimes")
        if self.kind == "instant" and self.end is not None:
            raise ValueError("an instant has no end")
        if self.kind == "day" and self.end is None:
            raise ValueError("a day needs an end")
        if self.end is not None and self.end <= self.start:
            raise ValueError("end must be after start")

    @property
    def is_exact(self) -> bool:
        """True for an exact time the caller named."""
        return self.kind == "instant"

    def contains(self, moment: datetime) -> bool:
        """Whether an appointment starting at ``moment`` (aware) fits the wish."""
        if self.kind == "instant":
            return moment == self.start
        return self.start <= moment and (self.end is None or moment < self.end)

    def to_slot(self) -> dict[str, str | None]:
        """A JSON-able value for a Rasa slot; read back with ``wished_time_from_slot``."""
        return {
            "kind": self.kind,
            "start": self.start.isoformat(),
            "end": None if self.end is None else self.end.isoformat(),
        }


def wished_time_from_entity(
    entity: Mapping[str, Any], tz: str = "Europe/Paris", *, now: datetime | None = None
) -> WishedTime | None:
    """The wished time of one Rasa Duckling "time" entity, in ``tz``; None if unusable.

    ``now`` (aware) is only needed for "avant vendredi" (an interval with only a
    day-grain end): the wish then runs from ``now``; without it the result is None.
    """
    if entity.get("entity", "time") != "time":
        return None
    zone = ZoneInfo(tz)
    value = entity.get("value")
    info = entity.get("additional_info")
    info = info if isinstance(info, Mapping) else {}
    try:
        if isinstance(value, Mapping):
            return _from_interval(value, info, zone, now)
        if isinstance(value, str):
            return _from_instant(_parse(value, zone), info.get("grain"), zone)
    except (TypeError, ValueError):
        return None
    return None


def wished_time_from_entities(
    entities: Iterable[Mapping[str, Any]],
    tz: str = "Europe/Paris",
    *,
    now: datetime | None = None,
) -> WishedTime | None:
    """The wished time of the first usable "time" entity of a message."""
    for entity in entities:
        if entity.get("entity") == "time":
            wished = wished_time_from_entity(entity, tz, now=now)
            if wished is not None:
                return wished
    return None


def wished_time_from_slot(value: Any, tz: str = "Europe/Paris") -> WishedTime | None:
    """A WishedTime back from ``WishedTime.to_slot()``'s value; None if not one."""
    if not isinstance(value, Mapping):
        return None
    zone = ZoneInfo(tz)
    try:
        end = value.get("end")
        return WishedTime(
            start=_parse(value["start"], zone),
            end=None if end is None else _parse(end, zone),
            kind=value["kind"],
        )
    except (KeyError, TypeError, ValueError):
        return None


def _from_instant(moment: datetime, grain: str | None, zone: ZoneInfo) -> WishedTime:
    """A point in time: exact below a day, else the whole day, week, month…"""
    if grain is None or grain in EXACT_GRAINS:
        return WishedTime(moment, None, "instant")
    day = moment.date()
    start = _midnight(day, zone)
    if grain == "day":
        return WishedTime(start, _midnight(day + timedelta(days=1), zone), "day")
    if grain == "week":
        return WishedTime(start, _midnight(day + timedelta(weeks=1), zone), "interval")
    if grain in _MONTHS_IN_GRAIN:
        end = _add_months(day, _MONTHS_IN_GRAIN[grain])
        return WishedTime(start, _midnight(end, zone), "interval")
    raise ValueError(f"unknown Duckling grain {grain!r}")


def _from_interval(
    value: Mapping[str, Any], info: Mapping[str, Any], zone: ZoneInfo, now: datetime | None
) -> WishedTime | None:
    """An interval; a missing bound is clamped to the same day (see the module doc)."""
    start = _parse(value["from"], zone) if value.get("from") else None
    end = _parse(value["to"], zone) if value.get("to") else None
    if start is not None and end is not None:
        return WishedTime(start, end, "interval") if end > start else None
    if start is not None:
        return _from_start_only(start, _bound_grain(info, "from"), zone)
    if end is not None:
        return _until_end_only(end, _bound_grain(info, "to"), zone, now)
    return None


def _from_start_only(start: datetime, grain: str | None, zone: ZoneInfo) -> WishedTime:
    """ "après 15h": until the end of that day; "à partir de lundi": open-ended."""
    if grain is None or grain in EXACT_GRAINS:
        return WishedTime(start, _midnight(start.date() + timedelta(days=1), zone), "interval")
    return WishedTime(start, None, "interval")


def _until_end_only(
    end: datetime, grain: str | None, zone: ZoneInfo, now: datetime | None
) -> WishedTime | None:
    """ "avant midi": from the start of that day; "avant vendredi": from ``now``."""
    if grain is None or grain in EXACT_GRAINS:
        day = (end - timedelta(microseconds=1)).date()
        return WishedTime(_midnight(day, zone), end, "interval")
    if now is None or now >= end:
        return None
    return WishedTime(now.astimezone(zone), end, "interval")


def _bound_grain(info: Mapping[str, Any], bound: str) -> str | None:
    """The grain Duckling gave for one bound of an interval."""
    details = info.get(bound)
    return details.get("grain") if isinstance(details, Mapping) else None


def _parse(text: str, zone: ZoneInfo) -> datetime:
    """An ISO datetime (Duckling's ".000+01:00" or "Z" forms too) in ``zone``."""
    if not isinstance(text, str):
        raise TypeError("an ISO datetime string is needed")
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        return moment.replace(tzinfo=zone)
    return moment.astimezone(zone)


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    """00:00 of ``day`` in ``zone`` (with that day's UTC offset)."""
    return datetime.combine(day, time(0), tzinfo=zone)


def _add_months(day: date, months: int) -> date:
    """The first day of the month ``months`` after ``day``'s month."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _is_aware(moment: datetime) -> bool:
    return moment.tzinfo is not None and moment.utcoffset() is not None
