"""French that the caller hears: dates, times, phone numbers, digits, lists."""
from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from spoken_french.say import (
    FRENCH_MONTHS,
    FRENCH_WEEKDAYS,
    say_date,
    say_datetime,
    say_digits,
    say_list,
    say_phone,
    say_time,
)

PARIS = ZoneInfo("Europe/Paris")
TODAY = date(2026, 11, 25)  # a Wednesday


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (time(10, 30), "10 heures 30"),
        (time(10, 0), "10 heures"),
        (time(9, 5), "9 heures 5"),
        (time(8, 45), "8 heures 45"),
        (time(14, 0), "14 heures"),
        (time(1, 0), "1 heure"),
        (time(1, 15), "1 heure 15"),
        (time(12, 0), "midi"),
        (time(12, 30), "12 heures 30"),
        (time(0, 0), "minuit"),
        (time(0, 30), "0 heure 30"),
        (time(18, 59, 59), "18 heures 59"),
        (datetime(2026, 11, 24, 16, 15, tzinfo=PARIS), "16 heures 15"),
    ],
)
def test_say_time(value: time | datetime, expected: str) -> None:
    assert say_time(value) == expected


@pytest.mark.parametrize(
    ("value", "today", "expected"),
    [
        (date(2026, 11, 24), None, "mardi 24 novembre"),
        (date(2026, 12, 1), None, "mardi 1er décembre"),
        (date(2026, 12, 2), TODAY, "mercredi 2 décembre"),
        (date(2027, 1, 5), TODAY, "mardi 5 janvier 2027"),
        (date(2027, 1, 5), None, "mardi 5 janvier"),
        (date(2027, 2, 1), TODAY, "lundi 1er février 2027"),
        (date(2027, 8, 15), date(2027, 1, 1), "dimanche 15 août"),
        (date(2026, 11, 29), TODAY, "dimanche 29 novembre"),
        (datetime(2026, 11, 27, 15, 0, tzinfo=PARIS), TODAY, "vendredi 27 novembre"),
    ],
)
def test_say_date(value: date, today: date | None, expected: str) -> None:
    assert say_date(value, today=today) == expected


@pytest.mark.parametrize(
    ("value", "today", "expected"),
    [
        (datetime(2026, 11, 24, 10, 30, tzinfo=PARIS), None, "mardi 24 novembre à 10 heures 30"),
        (datetime(2026, 11, 24, 10, 0, tzinfo=PARIS), None, "mardi 24 novembre à 10 heures"),
        (datetime(2026, 11, 26, 12, 0, tzinfo=PARIS), TODAY, "jeudi 26 novembre à midi"),
        (datetime(2026, 11, 26, 12, 30, tzinfo=PARIS), TODAY, "jeudi 26 novembre à 12 heures 30"),
        (datetime(2026, 12, 1, 9, 5, tzinfo=PARIS), TODAY, "mardi 1er décembre à 9 heures 5"),
        (datetime(2027, 1, 4, 8, 30, tzinfo=PARIS), TODAY, "lundi 4 janvier 2027 à 8 heures 30"),
        (datetime(2027, 1, 4, 8, 30), None, "lundi 4 janvier à 8 heures 30"),
    ],
)
def test_say_datetime(value: datetime, today: date | None, expected: str) -> None:
    assert say_datetime(value, today=today) == expected


def test_say_datetime_reads_the_wall_clock_of_the_given_datetime() -> None:
    utc = datetime(2026, 11, 24, 9, 30, tzinfo=ZoneInfo("UTC"))
    assert say_datetime(utc) == "mardi 24 novembre à 9 heures 30"
    assert say_datetime(utc.astimezone(PARIS)) == "mardi 24 novembre à 10 heures 30"


def test_tables_do_not_depend_on_the_server_locale() -> None:
    assert FRENCH_WEEKDAYS[date(2026, 11, 23).weekday()] == "lundi"
    assert FRENCH_MONTHS[8 - 1] == "août"
    assert len(FRENCH_WEEKDAYS) == 7 and len(FRENCH_MONTHS) == 12


@pytest.mark.parametrize(
    ("e164", "expected"),
    [
        ("+33612345678", "06 12 34 56 78"),
        ("+33184801234", "01 84 80 12 34"),
        ("+33812345678", "08 12 34 56 78"),
        ("+32470123456", "+32 470 12 34 56"),
        ("0612345678", "06 12 34 56 78"),
        ("pas un numéro", "pas un numéro"),
        ("", ""),
    ],
)
def test_say_phone(e164: str, expected: str) -> None:
    assert say_phone(e164) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [("123456", "1 2 3 4 5 6"), ("004217", "0 0 4 2 1 7"), ("12-34", "1 2 3 4"), ("7", "7"), ("", "")],
)
def test_say_digits(value: str, expected: str) -> None:
    assert say_digits(value) == expected


@pytest.mark.parametrize(
    ("items", "expected"),
    [
        ([], ""),
        (["mardi"], "mardi"),
        (["mardi", "jeudi"], "mardi et jeudi"),
        (["a", "b", "c"], "a, b et c"),
        ((x for x in ["lundi", "mardi", "mercredi", "jeudi"]), "lundi, mardi, mercredi et jeudi"),
    ],
)
def test_say_list(items, expected: str) -> None:
    assert say_list(items) == expected


def test_say_list_with_ou() -> None:
    offers = ["mardi à 10 heures", "mercredi à midi", "jeudi à 14 heures 30"]
    assert say_list(offers, last_word="ou") == "mardi à 10 heures, mercredi à midi ou jeudi à 14 heures 30"
