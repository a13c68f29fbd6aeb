"""Duckling time entities (as Rasa gives them) to WishedTime, and to/from a slot.

The raw matches below have the shape a Duckling server returns (locale fr_FR,
timezone Europe/Paris, reference time Wednesday 2026-11-25 09:00). ``rasa_entity``
turns one into the entity Rasa's DucklingEntityExtractor puts in the message; a
test checks it against Rasa's own ``convert_duckling_format_to_rasa``.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from actions.time_entities import (
    WishedTime,
    wished_time_from_entities,
    wished_time_from_entity,
    wished_time_from_slot,
)

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 11, 25, 9, 0, tzinfo=PARIS)


def paris(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS)


def instant(body: str, value: str, grain: str, *others: str) -> dict[str, Any]:
    """A Duckling match for one point in time ("type": "value")."""
    values = [{"value": v, "grain": grain, "type": "value"} for v in (value, *others)]
    return {
        "body": body, "start": 0, "end": len(body), "dim": "time", "latent": False,
        "value": {"values": values, "value": value, "grain": grain, "type": "value"},
    }


def interval(body: str, start: str | None, end: str | None, grain: str = "hour") -> dict[str, Any]:
    """A Duckling match for an interval; Duckling omits the missing bound."""
    bounds: dict[str, Any] = {}
    if end is not None:
        bounds["to"] = {"value": end, "grain": grain}
    if start is not None:
        bounds["from"] = {"value": start, "grain": grain}
    return {
        "body": body, "start": 0, "end": len(body), "dim": "time", "latent": False,
        "value": {"values": [{**bounds, "type": "interval"}], **bounds, "type": "interval"},
    }


def rasa_entity(match: dict[str, Any]) -> dict[str, Any]:
    """What rasa.nlu.extractors.duckling_entity_extractor makes of one match."""
    if match["value"].get("type") == "interval":
        value: Any = {
            "to": match["value"].get("to", {}).get("value"),
            "from": match["value"].get("from", {}).get("value"),
        }
    else:
        value = match["value"].get("value")
    return {
        "start": match["start"], "end": match["end"],
        "text": match.get("body", match.get("text", None)),
        "value": value, "confidence": 1.0,
        "additional_info": match["value"], "entity": match["dim"],
    }


MATCHES = {
    "vendredi à 15h": instant(
        "vendredi à 15h", "2026-11-27T15:00:00.000+01:00", "hour",
        "2026-12-04T15:00:00.000+01:00", "2026-12-11T15:00:00.000+01:00",
    ),
    "à 10h30": instant("à 10h30", "2026-11-25T10:30:00.000+01:00", "minute", "2026-11-26T10:30:00.000+01:00"),
    "demain": instant("demain", "2026-11-26T00:00:00.000+01:00", "day"),
    "le 28 mars 2027": instant("le 28 mars 2027", "2027-03-28T00:00:00.000+01:00", "day"),
    "la semaine prochaine": instant("la semaine prochaine", "2026-11-30T00:00:00.000+01:00", "week"),
    "la semaine du 22 mars": instant("la semaine du 22 mars", "2027-03-22T00:00:00.000+01:00", "week"),
    "en décembre": instant("en décembre", "2026-12-01T00:00:00.000+01:00", "month"),
    "en 2027": instant("en 2027", "2027-01-01T00:00:00.000+01:00", "year"),
    "demain matin": interval("demain matin", "2026-11-26T04:00:00.000+01:00", "2026-11-26T12:00:00.000+01:00"),
    "l'après-midi": interval("l'après-midi", "2026-11-25T12:00:00.000+01:00", "2026-11-25T19:00:00.000+01:00"),
    "ce week-end": interval("ce week-end", "2026-11-27T18:00:00.000+01:00", "2026-11-30T00:00:00.000+01:00"),
    "de 14h à 16h": interval("de 14h à 16h", "2026-11-25T14:00:00.000+01:00", "2026-11-25T17:00:00.000+01:00"),
    "après 15h": interval("après 15h", "2026-11-25T15:00:00.000+01:00", None),
    "avant midi": interval("avant midi", None, "2026-11-25T12:00:00.000+01:00"),
    "avant minuit": interval("avant minuit", None, "2026-11-26T00:00:00.000+01:00"),
    "à partir de lundi": interval("à partir de lundi", "2026-11-30T00:00:00.000+01:00", None, "day"),
    "avant vendredi": interval("avant vendredi", None, "2026-11-27T00:00:00.000+01:00", "day"),
}


def entity(body: str) -> dict[str, Any]:
    return rasa_entity(MATCHES[body])


def test_test_entities_have_rasas_exact_shape() -> None:
    """The hand-made entities are exactly what Rasa 3.6 produces (imports Rasa: slow)."""
    extractor = pytest.importorskip("rasa.nlu.extractors.duckling_entity_extractor")
    matches = list(MATCHES.values())
    assert extractor.convert_duckling_format_to_rasa(matches) == [rasa_entity(m) for m in matches]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("vendredi à 15h", WishedTime(paris(2026, 11, 27, 15, 0), None, "instant")),
        ("à 10h30", WishedTime(paris(2026, 11, 25, 10, 30), None, "instant")),
        ("demain", WishedTime(paris(2026, 11, 26), paris(2026, 11, 27), "day")),
        ("la semaine prochaine", WishedTime(paris(2026, 11, 30), paris(2026, 12, 7), "interval")),
        ("en décembre", WishedTime(paris(2026, 12, 1), paris(2027, 1, 1), "interval")),
        ("en 2027", WishedTime(paris(2027, 1, 1), paris(2028, 1, 1), "interval")),
        ("demain matin", WishedTime(paris(2026, 11, 26, 4), paris(2026, 11, 26, 12), "interval")),
        ("l'après-midi", WishedTime(paris(2026, 11, 25, 12), paris(2026, 11, 25, 19), "interval")),
        ("ce week-end", WishedTime(paris(2026, 11, 27, 18), paris(2026, 11, 30), "interval")),
        # Duckling's exclusive outer bound: "16h" with grain hour ends at 17:00
        ("de 14h à 16h", WishedTime(paris(2026, 11, 25, 14), paris(2026, 11, 25, 17), "interval")),
        # one bound missing: clamped to the same day
        ("après 15h", WishedTime(paris(2026, 11, 25, 15), paris(2026, 11, 26), "interval")),
        ("avant midi", WishedTime(paris(2026, 11, 25), paris(2026, 11, 25, 12), "interval")),
        ("avant minuit", WishedTime(paris(2026, 11, 25), paris(2026, 11, 26), "interval")),
        # from a whole day on: open to the future
        ("à partir de lundi", WishedTime(paris(2026, 11, 30), None, "interval")),
    ],
)
def test_wished_time_from_entity(body: str, expected: WishedTime) -> None:
    assert wished_time_from_entity(entity(body)) == expected


def test_before_a_day_needs_now() -> None:
    assert wished_time_from_entity(entity("avant vendredi")) is None
    assert wished_time_from_entity(entity("avant vendredi"), now=NOW) == WishedTime(
        NOW, paris(2026, 11, 27), "interval"
    )
    late = paris(2026, 11, 28, 9)
    assert wished_time_from_entity(entity("avant vendredi"), now=late) is None


def test_results_are_aware_and_in_the_requested_timezone() -> None:
    result = wished_time_from_entity(entity("vendredi à 15h"), tz="America/Montreal")
    assert result is not None
    assert result.start == paris(2026, 11, 27, 15)
    assert str(result.start.tzinfo) == "America/Montreal"
    assert (result.start.hour, result.start.utcoffset().total_seconds()) == (9, -5 * 3600)


def test_utc_values_are_converted_to_the_clinic_wall_clock() -> None:
    utc = rasa_entity(instant("à 15h", "2026-11-27T14:00:00.000Z", "hour"))
    result = wished_time_from_entity(utc)
    assert result == WishedTime(paris(2026, 11, 27, 15), None, "instant")
    assert result.start.tzinfo == PARIS and result.start.hour == 15


def test_naive_values_are_read_in_the_clinic_timezone() -> None:
    naive = rasa_entity(instant("à 15h", "2026-11-27T15:00:00", "hour"))
    assert wished_time_from_entity(naive) == WishedTime(paris(2026, 11, 27, 15), None, "instant")


def test_days_and_weeks_follow_daylight_saving_time() -> None:
    day = wished_time_from_entity(entity("le 28 mars 2027"))  # 23-hour day
    assert day == WishedTime(paris(2027, 3, 28), paris(2027, 3, 29), "day")
    elapsed = day.end.astimezone(timezone.utc) - day.start.astimezone(timezone.utc)
    assert elapsed.total_seconds() == 23 * 3600
    assert day.end.isoformat() == "2027-03-29T00:00:00+02:00"
    week = wished_time_from_entity(entity("la semaine du 22 mars"))
    assert week.end.isoformat() == "2027-03-29T00:00:00+02:00"


@pytest.mark.parametrize(
    "bad",
    [
        {},
        {"entity": "number", "value": 3, "additional_info": {"value": 3, "type": "value"}},
        {"entity": "time", "value": "demain", "additional_info": {}},
        {"entity": "time", "value": None},
        {"entity": "time", "value": {"from": None, "to": None}, "additional_info": {"type": "interval"}},
        rasa_entity(interval("x", "2026-11-25T15:00:00.000+01:00", "2026-11-25T14:00:00.000+01:00")),
    ],
)
def test_unusable_entities_give_none(bad: dict[str, Any]) -> None:
    assert wished_time_from_entity(bad) is None


def test_missing_grain_means_an_exact_time() -> None:
    bare = {"entity": "time", "value": "2026-11-27T15:00:00.000+01:00"}
    assert wished_time_from_entity(bare) == WishedTime(paris(2026, 11, 27, 15), None, "instant")


def test_wished_time_from_entities_takes_the_first_time_entity() -> None:
    number = {"entity": "number", "value": 2, "additional_info": {"value": 2, "type": "value"}}
    entities = [number, {"entity": "doctor", "value": "Dr Martin"}, entity("demain"), entity("à 10h30")]
    assert wished_time_from_entities(entities) == WishedTime(paris(2026, 11, 26), paris(2026, 11, 27), "day")
    assert wished_time_from_entities([number]) is None
    assert wished_time_from_entities([]) is None


@pytest.mark.parametrize(
    ("wished", "moment", "inside"),
    [
        (WishedTime(paris(2026, 11, 27, 15), None, "instant"), paris(2026, 11, 27, 15), True),
        (WishedTime(paris(2026, 11, 27, 15), None, "instant"), paris(2026, 11, 27, 15, 30), False),
        (WishedTime(paris(2026, 11, 26), paris(2026, 11, 27), "day"), paris(2026, 11, 26, 18), True),
        (WishedTime(paris(2026, 11, 26), paris(2026, 11, 27), "day"), paris(2026, 11, 27), False),
        (WishedTime(paris(2026, 11, 26, 4), paris(2026, 11, 26, 12), "interval"), paris(2026, 11, 26, 4), True),
        (WishedTime(paris(2026, 11, 26, 4), paris(2026, 11, 26, 12), "interval"), paris(2026, 11, 26, 12), False),
        (WishedTime(paris(2026, 11, 30), None, "interval"), paris(2027, 1, 4, 9), True),
        (WishedTime(paris(2026, 11, 30), None, "interval"), paris(2026, 11, 29, 23), False),
    ],
)
def test_contains(wished: WishedTime, moment: datetime, inside: bool) -> None:
    assert wished.contains(moment) is inside


def test_is_exact() -> None:
    assert WishedTime(paris(2026, 11, 27, 15), None, "instant").is_exact
    assert not WishedTime(paris(2026, 11, 26), paris(2026, 11, 27), "day").is_exact


@pytest.mark.parametrize(
    ("start", "end", "kind"),
    [
        (datetime(2026, 11, 27, 15), None, "instant"),  # naive
        (paris(2026, 11, 27, 15), paris(2026, 11, 27, 16), "instant"),  # instant with an end
        (paris(2026, 11, 26), None, "day"),  # day without end
        (paris(2026, 11, 26, 12), paris(2026, 11, 26, 4), "interval"),  # end before start
        (paris(2026, 11, 26), paris(2026, 11, 27), "week"),  # unknown kind
    ],
)
def test_inconsistent_wished_times_are_refused(start: datetime, end: datetime | None, kind: str) -> None:
    with pytest.raises(ValueError):
        WishedTime(start, end, kind)  # type: ignore[arg-type]


@pytest.mark.parametrize("body", sorted(set(MATCHES) - {"avant vendredi"}))
def test_slot_round_trip(body: str) -> None:
    wished = wished_time_from_entity(entity(body))
    stored = wished.to_slot()
    assert stored == {
        "kind": wished.kind,
        "start": wished.start.isoformat(),
        "end": None if wished.end is None else wished.end.isoformat(),
    }
    assert wished_time_from_slot(stored) == wished
    assert wished_time_from_slot(stored).start.tzinfo == PARIS


def test_slot_value_is_plain_json() -> None:
    import json

    wished = wished_time_from_entity(entity("demain matin"))
    assert json.loads(json.dumps(wished.to_slot())) == {
        "kind": "interval",
        "start": "2026-11-26T04:00:00+01:00",
        "end": "2026-11-26T12:00:00+01:00",
    }


@pytest.mark.parametrize(
    "value",
    [
        None,
        "2026-11-27T15:00:00+01:00",
        {},
        {"kind": "instant", "start": "demain", "end": None},
        {"kind": "week", "start": "2026-11-30T00:00:00+01:00", "end": None},
        {"kind": "day", "start": "2026-11-26T00:00:00+01:00", "end": None},
        {"kind": "instant", "start": None, "end": None},
    ],
)
def test_bad_slot_values_give_none(value: Any) -> None:
    assert wished_time_from_slot(value) is None
