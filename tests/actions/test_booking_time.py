"""The booking form's time question: exact times, offers, picks among offers, Duckling down.

Each test builds the tracker the action server receives for one caller's answer
(see ``tests/actions/booking_form_trackers.py``) and checks the exact slot events returned and
the exact French sentences the caller hears, on SQLite and PostgreSQL.
"""
from __future__ import annotations

from unittest.mock import ANY

import pytest

from actions import slots
from clinic.operations import PatientDetails
from actions.time_answers import DATES_UNAVAILABLE, NOT_UNDERSTOOD
from tests.actions.booking_form_trackers import (
    THURSDAY_1030, ask_time, time_tracker, validate,
)
from tests.actions.tracker_builder import (
    BOB, interval_entity, paris, slot_value, time_entity,
)


# ----------------------------------------------------------------------- time


@pytest.mark.asyncio
async def test_exact_free_time_is_chosen(domain, operations):
    entity = time_entity("jeudi à 10h30", "2026-11-26T10:30:00.000+01:00")

    result, said_back = await validate(time_tracker("jeudi à 10h30", [entity]), domain)

    assert result == {
        slots.TIME_WISHES: ANY,  # every wish so far (tests/actions/test_time_wishes.py)
        slots.BOOKING_TIME: "2026-11-26T10:30:00+01:00",
        slots.CHOSEN_SLOT: THURSDAY_1030,
        slots.OFFERED_SLOTS: [],
        slots.VALIDATION_FAILURES: {},
        slots.REQUESTED_SLOT: slots.BOOKING_CONFIRMED,
    }
    assert said_back == []


@pytest.mark.asyncio
async def test_doctor_named_with_the_time_is_the_one_booked(domain, operations):
    said = "jeudi à 10h30 avec le docteur Dubois"
    entities = [
        time_entity("jeudi à 10h30", "2026-11-26T10:30:00.000+01:00"),
        {"entity": "doctor", "value": "Dubois", "start": 29, "end": 35, "extractor": "DIETClassifier"},
    ]

    result, _ = await validate(time_tracker(said, entities), domain)

    assert result[slots.CHOSEN_SLOT] == {**THURSDAY_1030, "doctor_id": "dubois"}


@pytest.mark.asyncio
async def test_time_without_entity_is_read_by_duckling(domain, operations, duckling):
    """Rasa's extractor gave nothing: the validator asks the real Duckling itself."""
    result, said_back = await validate(time_tracker("jeudi à 10h30"), domain)

    assert result == {
        slots.TIME_WISHES: ANY,  # every wish so far (tests/actions/test_time_wishes.py)
        slots.BOOKING_TIME: "2026-11-26T10:30:00+01:00",
        slots.CHOSEN_SLOT: THURSDAY_1030,
        slots.OFFERED_SLOTS: [],
        slots.VALIDATION_FAILURES: {},
        slots.REQUESTED_SLOT: slots.BOOKING_CONFIRMED,
    }
    assert said_back == []


@pytest.mark.asyncio
async def test_asked_doctor_is_used(domain, operations):
    entity = time_entity("jeudi à 10h30", "2026-11-26T10:30:00.000+01:00")
    tracker = time_tracker("jeudi à 10h30", [entity], slots_now={slots.DOCTOR: "docteur Dubois"})

    result, _ = await validate(tracker, domain)

    assert result[slots.CHOSEN_SLOT] == slot_value("2026-11-26T10:30:00", "dubois")


REFUSED_TIMES = [
    pytest.param(
        "jeudi à 10h30", "2026-11-26T10:30:00.000+01:00", "minute", True,
        ["2026-11-26T09:30:00", "2026-11-26T10:00:00", "2026-11-26T11:00:00"],
        "Ce créneau est déjà pris.",
        "Je peux vous proposer jeudi 26 novembre à 9 heures 30, à 10 heures ou à 11 heures. "
        "Lequel préférez-vous ?",
        id="a taken time: the three nearest",
    ),
    pytest.param(
        "dimanche à 10h", "2026-11-29T10:00:00.000+01:00", "hour", False,
        ["2026-11-28T11:00:00", "2026-11-28T11:30:00", "2026-11-30T08:30:00"],
        "Le cabinet est fermé ce jour-là.",
        "Je peux vous proposer samedi 28 novembre à 11 heures, samedi 28 novembre à 11 heures "
        "30 ou lundi 30 novembre à 8 heures 30. Lequel préférez-vous ?",
        id="a closed day at a time: explained, with offers",
    ),
]


@pytest.mark.asyncio
@pytest.mark.parametrize("said, value, grain, taken, offered, explanation, offers_said",
                         REFUSED_TIMES)
async def test_a_refused_time_is_explained_with_the_nearest_offers(
        domain, operations, said, value, grain, taken, offered, explanation, offers_said):
    if taken:
        operations.book(BOB, paris("2026-11-26T10:30:00"), "martin")
    entity = time_entity(said, value, grain=grain)
    tracker = time_tracker(said, [entity], slots_now={slots.DOCTOR: "Martin"} if taken else None)

    result, said_back = await validate(tracker, domain)

    offers = [slot_value(start, "martin") for start in offered]
    assert result == {
        slots.TIME_WISHES: ANY,  # every wish so far (tests/actions/test_time_wishes.py)
        slots.BOOKING_TIME: None,
        slots.CHOSEN_SLOT: None,
        slots.OFFERED_SLOTS: offers,
        slots.VALIDATION_FAILURES: {slots.BOOKING_TIME: 1},  # a rejection counts
        slots.REQUESTED_SLOT: slots.BOOKING_TIME,
    }
    assert said_back == [explanation]
    assert await ask_time({slots.OFFERED_SLOTS: offers}, domain) == [offers_said]


@pytest.mark.asyncio
async def test_closed_day_is_explained_with_offers(domain, operations):
    entity = time_entity("dimanche", "2026-11-29T00:00:00.000+01:00", grain="day")

    result, said_back = await validate(time_tracker("dimanche", [entity]), domain)

    assert said_back == ["Le cabinet est fermé ce jour-là."]
    assert result[slots.BOOKING_TIME] is None
    assert result[slots.CHOSEN_SLOT] is None
    assert result[slots.REQUESTED_SLOT] == slots.BOOKING_TIME
    offers = result[slots.OFFERED_SLOTS]
    assert len(offers) == 3
    assert all(o["start"].startswith("2026-11-28T") for o in offers)  # the Saturday before


@pytest.mark.asyncio
async def test_a_past_day_is_explained_with_the_next_free_times(domain, operations):
    entity = time_entity("hier", "2026-11-24T00:00:00.000+01:00", grain="day")

    result, said_back = await validate(time_tracker("hier", [entity]), domain)

    assert said_back == ["Ce moment est déjà passé."]
    assert [o["start"] for o in result[slots.OFFERED_SLOTS]] == [
        "2026-11-25T09:30:00+01:00", "2026-11-25T10:00:00+01:00", "2026-11-25T10:30:00+01:00",
    ]


@pytest.mark.asyncio
async def test_closed_day_offers_are_the_three_nearest(domain, operations):
    entity = time_entity("dimanche", "2026-11-29T00:00:00.000+01:00", grain="day")

    result, _ = await validate(time_tracker("dimanche", [entity]), domain)

    assert result[slots.OFFERED_SLOTS] == [
        slot_value("2026-11-28T10:30:00", "martin"),
        slot_value("2026-11-28T11:00:00", "martin"),
        slot_value("2026-11-28T11:30:00", "martin"),
    ]


@pytest.mark.asyncio
async def test_a_day_offers_its_first_free_times(domain, operations):
    operations.book(BOB, paris("2026-12-01T09:00:00"), "martin")
    entity = time_entity("mardi 1er décembre", "2026-12-01T00:00:00.000+01:00", grain="day")

    result, said_back = await validate(time_tracker("mardi 1er décembre", [entity]), domain)

    offers = [
        slot_value("2026-12-01T08:30:00", "martin"),
        slot_value("2026-12-01T09:30:00", "martin"),
        slot_value("2026-12-01T10:00:00", "martin"),
    ]
    assert result == {
        slots.TIME_WISHES: ANY,  # every wish so far (tests/actions/test_time_wishes.py)
        slots.BOOKING_TIME: None,
        slots.CHOSEN_SLOT: None,
        slots.OFFERED_SLOTS: offers,
        slots.REQUESTED_SLOT: slots.BOOKING_TIME,
    }
    assert said_back == []
    assert await ask_time({slots.OFFERED_SLOTS: offers}, domain) == [
        "Je peux vous proposer mardi 1er décembre à 8 heures 30, à 9 heures 30 ou à 10 heures. "
        "Lequel préférez-vous ?"
    ]


@pytest.mark.asyncio
async def test_a_part_of_day_offers_its_first_free_times(domain, operations):
    operations.book(BOB, paris("2026-11-26T08:30:00"), "martin")
    operations.book(BOB, paris("2026-11-26T09:00:00"), "dubois")  # Martin is still free
    # Duckling's "demain matin": 04:00 to 12:00, grain hour.
    entity = interval_entity(
        "demain matin", "2026-11-26T04:00:00.000+01:00", "2026-11-26T12:00:00.000+01:00"
    )

    result, said_back = await validate(time_tracker("demain matin", [entity]), domain)

    offers = [
        slot_value("2026-11-26T08:30:00", "dubois"),
        slot_value("2026-11-26T09:00:00", "martin"),
        slot_value("2026-11-26T09:30:00", "martin"),
    ]
    assert result == {
        slots.TIME_WISHES: ANY,  # every wish so far (tests/actions/test_time_wishes.py)
        slots.BOOKING_TIME: None,
        slots.CHOSEN_SLOT: None,
        slots.OFFERED_SLOTS: offers,
        slots.REQUESTED_SLOT: slots.BOOKING_TIME,
    }
    assert said_back == []
    assert await ask_time({slots.OFFERED_SLOTS: offers}, domain) == [
        "Je peux vous proposer jeudi 26 novembre à 8 heures 30, à 9 heures ou à 9 heures 30. "
        "Lequel préférez-vous ?"
    ]


@pytest.mark.asyncio
async def test_a_full_part_of_day_offers_the_same_part_of_the_next_day(domain, operations):
    # This morning (it is 9:00) is full for both doctors of Wednesday (one patient and
    # one phone number per appointment: clinic.yml caps upcoming appointments at 2).
    patients = iter(f"{n:06d}" for n in range(100000, 100100))
    for doctor in ("martin", "nguyen"):
        for start in ("09:30", "10:00", "10:30", "11:00", "11:30", "12:00"):
            patient_id = next(patients)
            operations.book(
                PatientDetails(patient_id, "Anne", "Petit", f"+3360000{patient_id[-4:]}"),
                paris(f"2026-11-25T{start}:00"), doctor,
            )
    entity = interval_entity(
        "ce matin", "2026-11-25T04:00:00.000+01:00", "2026-11-25T12:00:00.000+01:00"
    )

    result, said_back = await validate(time_tracker("ce matin", [entity]), domain)

    assert result == {
        slots.TIME_WISHES: ANY,  # every wish so far (tests/actions/test_time_wishes.py)
        slots.BOOKING_TIME: None,
        slots.CHOSEN_SLOT: None,
        # The morning is kept (issue 21): the next morning's first free times, not
        # this afternoon's.
        slots.OFFERED_SLOTS: [
            slot_value("2026-11-26T08:30:00", "martin"),
            slot_value("2026-11-26T09:00:00", "martin"),
            slot_value("2026-11-26T09:30:00", "martin"),
        ],
        slots.VALIDATION_FAILURES: {slots.BOOKING_TIME: 1},  # a rejection counts
        slots.REQUESTED_SLOT: slots.BOOKING_TIME,
    }
    assert said_back == ["Il n'y a plus de place à ce moment-là."]


@pytest.mark.asyncio
async def test_the_second_of_the_offers_is_picked(domain, operations, duckling):
    offers = [
        slot_value("2026-12-01T08:30:00", "martin"),
        slot_value("2026-12-01T09:00:00", "martin"),
        slot_value("2026-12-01T09:30:00", "martin"),
    ]
    tracker = time_tracker("le deuxième", slots_now={slots.OFFERED_SLOTS: offers})

    result, said_back = await validate(tracker, domain)

    assert result == {
        slots.TIME_WISHES: ANY,  # every wish so far (tests/actions/test_time_wishes.py)
        slots.BOOKING_TIME: "2026-12-01T09:00:00+01:00",
        slots.CHOSEN_SLOT: offers[1],
        slots.OFFERED_SLOTS: [],
        slots.VALIDATION_FAILURES: {},
        slots.REQUESTED_SLOT: slots.BOOKING_CONFIRMED,
    }
    assert said_back == []


@pytest.mark.asyncio
async def test_no_to_the_offers_asks_again(domain, operations, duckling):
    offers = [slot_value("2026-12-01T08:30:00", "martin")]
    tracker = time_tracker("non", slots_now={slots.OFFERED_SLOTS: offers})

    result, said_back = await validate(tracker, domain)

    assert result == {
        slots.TIME_WISHES: ANY,  # every wish so far (tests/actions/test_time_wishes.py)
        slots.BOOKING_TIME: None,
        slots.CHOSEN_SLOT: None,
        slots.OFFERED_SLOTS: [],
        slots.VALIDATION_FAILURES: {slots.BOOKING_TIME: 1},  # a rejection counts
        slots.REQUESTED_SLOT: slots.BOOKING_TIME,
    }
    assert said_back == ["D'accord, cherchons un autre moment."]
    assert await ask_time({}, domain) == ["Quel jour et à quelle heure souhaitez-vous venir ?"]


@pytest.mark.asyncio
async def test_no_time_understood_counts_a_failure(domain, operations, duckling):
    result, said_back = await validate(time_tracker("je ne sais pas encore"), domain)

    assert result == {
        slots.TIME_WISHES: ANY,  # every wish so far (tests/actions/test_time_wishes.py)
        slots.BOOKING_TIME: None,
        slots.VALIDATION_FAILURES: {slots.BOOKING_TIME: 1},
        slots.REQUESTED_SLOT: slots.BOOKING_TIME,
    }
    assert said_back == [NOT_UNDERSTOOD]


@pytest.mark.asyncio
async def test_duckling_down_gives_the_apology(domain, operations, duckling_down):
    result, said_back = await validate(time_tracker("jeudi vers dix heures et demie"), domain)

    assert result == {
        slots.BOOKING_TIME: None,
        slots.VALIDATION_FAILURES: {slots.BOOKING_TIME: 1},
        slots.REQUESTED_SLOT: slots.BOOKING_TIME,
    }
    assert said_back == [DATES_UNAVAILABLE]
    assert said_back == [
        "Je suis désolé, je ne parviens pas à lire les dates pour le moment. "
        "Vous pouvez rappeler un peu plus tard, ou demander à parler à quelqu'un."
    ]


@pytest.mark.asyncio
async def test_duckling_down_still_lets_the_caller_pick_an_offer(domain, operations, duckling_down):
    offers = [
        slot_value("2026-12-01T08:30:00", "martin"),
        slot_value("2026-12-01T09:00:00", "martin"),
    ]
    tracker = time_tracker("le deuxième", slots_now={slots.OFFERED_SLOTS: offers})

    result, said_back = await validate(tracker, domain)

    assert said_back == []
    assert result[slots.CHOSEN_SLOT] == offers[1]
