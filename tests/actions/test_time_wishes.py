"""Issue 21, point 1: every time wish is kept, and a correction changes only its part.

:func:`actions.time_wishes.read_wishes` on families of wordings (each one several
ways), then the booking form's time question on a real calendar (SQLite and
PostgreSQL; it is Wednesday 25 November 2026, 9:00 in Paris): the offers follow
every wish said so far.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from actions import slots
from actions.time_entities import WishedTime
from actions.time_wishes import TimeWishes, read_wishes
from tests.actions.booking_form_trackers import time_tracker, validate
from tests.actions.tracker_builder import time_entity

PARIS = ZoneInfo("Europe/Paris")
THURSDAY = datetime(2026, 11, 26, tzinfo=PARIS)
TOMORROW = WishedTime(THURSDAY, THURSDAY + timedelta(days=1), "day")
NEXT_WEEK = WishedTime(datetime(2026, 11, 30, tzinfo=PARIS), datetime(2026, 12, 7, tzinfo=PARIS),
                       "interval")


def wishes(said, entities=(), before=TimeWishes()):
    return read_wishes(before, said, list(entities))


@pytest.mark.parametrize("said", [
    "plutôt l'après-midi", "dans l'après-midi", "l'aprem si possible", "l'après midi svp",
])
def test_the_afternoon(said):
    assert (wishes(said).earliest, wishes(said).latest) == (13 * 60, None)


@pytest.mark.parametrize("said", [
    "en fin de journée", "plutôt en fin d'après-midi", "fin de journée ça m'arrange",
])
def test_the_end_of_the_day(said):
    assert wishes(said).earliest == 16 * 60


@pytest.mark.parametrize("said", ["le matin", "plutôt dans la matinée", "de préférence le matin"])
def test_the_morning(said):
    assert (wishes(said).earliest, wishes(said).latest) == (None, 12 * 60)


@pytest.mark.parametrize("said, minutes", [
    ("pas avant 15 h", 15 * 60), ("pas avant quinze heures", 15 * 60),
    ("après 15h", 15 * 60), ("à partir de quinze heures trente", 15 * 60 + 30),
    ("pas plus tôt que 14 h", 14 * 60),
])
def test_not_before(said, minutes):
    found = wishes(said)
    assert (found.earliest, found.latest) == (minutes, None)


@pytest.mark.parametrize("said, minutes", [
    ("pas après 11 h", 11 * 60), ("avant midi", 12 * 60), ("au plus tard à dix heures", 10 * 60),
    ("pas après dix heures et demie", 10 * 60 + 30),
])
def test_not_after(said, minutes):
    found = wishes(said)
    assert (found.earliest, found.latest) == (None, minutes)


@pytest.mark.parametrize("said", [
    "vers onze heures", "aux alentours de 11 h", "vers 11h", "autour de onze heures",
])
def test_around(said):
    assert wishes(said).around == 11 * 60 and wishes(said).exact is None


@pytest.mark.parametrize("said", [
    "pas le mercredi", "sauf le mercredi", "pas mercredi", "surtout pas les mercredis",
    "n'importe quand mais pas le mercredi",
])
def test_an_excluded_day(said):
    assert wishes(said).excluded_weekdays == (2,)


def test_excluded_days_add_up():
    first = wishes("pas le lundi")
    assert wishes("ni le mercredi", before=first).excluded_weekdays == (0, 2)


def test_a_day_and_an_hour_in_one_sentence():
    six_pm_today = WishedTime(datetime(2026, 11, 25, 18, tzinfo=PARIS), None, "instant")
    found = wishes("demain, même heure, 18 h", [TOMORROW, six_pm_today])
    assert found.day == TOMORROW.to_slot() and found.exact == 18 * 60


def test_a_correction_of_the_part_of_the_day_keeps_the_day():
    tomorrow_six = wishes("demain, 18 h", [TOMORROW])
    this_evening = WishedTime(datetime(2026, 11, 25, 18, tzinfo=PARIS),
                              datetime(2026, 11, 26, tzinfo=PARIS), "interval")
    corrected = wishes("non, le soir", [this_evening], before=tomorrow_six)
    assert corrected.day == TOMORROW.to_slot()  # not today's evening
    assert (corrected.exact, corrected.earliest) == (None, 17 * 60)


def test_a_new_day_replaces_the_day_and_keeps_the_hours():
    mornings = wishes("la semaine prochaine le matin", [NEXT_WEEK])
    assert mornings.day == NEXT_WEEK.to_slot() and mornings.latest == 12 * 60
    thursday = wishes("plutôt jeudi", [TOMORROW], before=mornings)
    assert thursday.day == TOMORROW.to_slot() and thursday.latest == 12 * 60


# ----------------------------------------------------------------------- the calendar


def offered(result):
    return [s["start"][:16] for s in result[slots.OFFERED_SLOTS]]


@pytest.mark.asyncio
async def test_tomorrow_afternoon_said_in_two_answers(domain, operations, duckling):
    day = time_entity("demain", "2026-11-26T00:00:00.000+01:00", grain="day")
    first, _ = await validate(time_tracker("demain", [day]), domain)
    assert offered(first)[0] == "2026-11-26T08:30"

    then, _ = await validate(time_tracker(
        "non, plutôt l'après-midi", [],
        slots_now={slots.TIME_WISHES: first[slots.TIME_WISHES],
                   slots.OFFERED_SLOTS: first[slots.OFFERED_SLOTS]},
        filled_value="non, plutôt l'après-midi"), domain)

    assert offered(then) == ["2026-11-26T14:00", "2026-11-26T14:30", "2026-11-26T15:00"]


@pytest.mark.asyncio
async def test_not_before_three_without_a_day(domain, operations, duckling):
    result, _ = await validate(time_tracker("pas avant 15 h", [], filled_value="pas avant 15 h"),
                               domain)
    assert offered(result) == ["2026-11-25T15:00", "2026-11-25T15:30", "2026-11-25T16:00"]


@pytest.mark.asyncio
async def test_around_eleven_gets_the_nearest_first(domain, operations):
    entity = time_entity("vers onze heures", "2026-11-26T11:00:00.000+01:00", grain="hour")
    tomorrow = {slots.TIME_WISHES: TimeWishes(day=TOMORROW.to_slot()).to_slot()}
    result, _ = await validate(time_tracker("vers onze heures", [entity], slots_now=tomorrow),
                               domain)
    assert offered(result) == ["2026-11-26T10:30", "2026-11-26T11:00", "2026-11-26T11:30"]


@pytest.mark.asyncio
async def test_an_excluded_day_is_skipped(domain, operations, duckling):
    # Today is a Wednesday: « pas le mercredi, l'après-midi » starts on Thursday.
    result, _ = await validate(time_tracker(
        "l'après-midi mais pas le mercredi", [], filled_value="l'après-midi mais pas le mercredi"),
        domain)
    assert offered(result) == ["2026-11-26T14:00", "2026-11-26T14:30", "2026-11-26T15:00"]


@pytest.mark.asyncio
async def test_tomorrow_same_time_six_pm_is_chosen(domain, operations):
    tomorrow = time_entity("demain", "2026-11-26T00:00:00.000+01:00", grain="day")
    six = time_entity("18 h", "2026-11-25T18:00:00.000+01:00", grain="hour", start=21)
    result, _ = await validate(time_tracker("demain, même heure, 18 h", [tomorrow, six]), domain)
    assert result[slots.CHOSEN_SLOT]["start"][:16] == "2026-11-26T18:00"
