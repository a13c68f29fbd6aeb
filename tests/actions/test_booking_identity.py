"""The booking form's identity questions: names, patient ID, phone, and the identity check.

Each test builds the tracker the action server receives for one caller's answer
(see ``tests/actions/booking_form_trackers.py``) and checks the exact slot events returned and
the exact French sentences the caller hears, on SQLite and PostgreSQL.
"""
from __future__ import annotations

import pytest

from actions import slots
from actions.identity_check import IDENTITY_NOT_FOUND
from clinic.models import Appointment
from tests.actions.booking_form_trackers import (
    PATIENT_ID_HELP, booking_tracker, identity_until, rows, validate,
)
from tests.actions.tracker_builder import MARIE, paris


# ----------------------------------------------------------------------- names


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "said, name",
    [
        ("euh je m'appelle dupont", "Dupont"),
        ("Mon nom c'est LE GOFF", "Le Goff"),
        ("dupont-moretti", "Dupont-Moretti"),
        ("madame Lefèvre.", "Lefèvre"),
    ],
)
async def test_last_name_is_cleaned(domain, said, name):
    tracker = booking_tracker(slots.LAST_NAME, said, filled={slots.LAST_NAME: said})

    result, said_back = await validate(tracker, domain)

    assert result == {
        slots.LAST_NAME: name,
        slots.VALIDATION_FAILURES: {},
        slots.REQUESTED_SLOT: slots.FIRST_NAME,
    }
    assert said_back == []


@pytest.mark.asyncio
async def test_first_name_is_cleaned(domain):
    tracker = booking_tracker(
        slots.FIRST_NAME, "mon prénom c'est marie-claire",
        filled={slots.FIRST_NAME: "mon prénom c'est marie-claire"},
        slots_now={slots.LAST_NAME: "Dupont"},
    )

    result, said_back = await validate(tracker, domain)

    assert result == {
        slots.FIRST_NAME: "Marie-Claire",
        slots.VALIDATION_FAILURES: {},
        slots.REQUESTED_SLOT: slots.PATIENT_ID,
    }
    assert said_back == []


@pytest.mark.asyncio
@pytest.mark.parametrize("said", ["1234", "dupont 2", "je sais pas trop ce que vous voulez dire là"])
async def test_bad_last_name_is_rejected(domain, said):
    tracker = booking_tracker(slots.LAST_NAME, said, filled={slots.LAST_NAME: said})

    result, said_back = await validate(tracker, domain)

    assert result == {
        slots.LAST_NAME: None,
        slots.VALIDATION_FAILURES: {slots.LAST_NAME: 1},
        slots.REQUESTED_SLOT: slots.LAST_NAME,
    }
    assert said_back == ["Je n'ai pas bien compris votre nom de famille."]


@pytest.mark.asyncio
@pytest.mark.parametrize("said", ["euh", "euh...", "hum"])
async def test_a_bare_hesitation_is_not_a_name(domain, said):
    tracker = booking_tracker(slots.LAST_NAME, said, filled={slots.LAST_NAME: said})

    result, said_back = await validate(tracker, domain)

    assert result[slots.LAST_NAME] is None
    assert said_back == ["Je n'ai pas bien compris votre nom de famille."]


@pytest.mark.asyncio
@pytest.mark.parametrize("said", ["Mrad", "Nomura", "Mrozek"])
async def test_names_starting_like_a_lead_in_are_kept(domain, said):
    tracker = booking_tracker(slots.LAST_NAME, said, filled={slots.LAST_NAME: said})

    result, _ = await validate(tracker, domain)

    assert result[slots.LAST_NAME] == said


@pytest.mark.asyncio
async def test_surname_ben_is_kept(domain):
    tracker = booking_tracker(slots.LAST_NAME, "Ben Ali", filled={slots.LAST_NAME: "Ben Ali"})

    result, _ = await validate(tracker, domain)

    assert result[slots.LAST_NAME] == "Ben Ali"


# ----------------------------------------------------------------------- patient ID


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "said",
    [
        "quatre huit deux neuf un trois",  # digit by digit
        "quarante-huit vingt-neuf treize",  # in groups
        "482913",  # typed
        "48 29 13",
        "euh c'est le quatre huit deux, neuf un trois",
    ],
)
async def test_patient_id_said_or_typed(domain, said):
    tracker = booking_tracker(
        slots.PATIENT_ID, said, filled={slots.PATIENT_ID: said},
        slots_now={slots.LAST_NAME: "Dupont", slots.FIRST_NAME: "Marie"},
    )

    result, said_back = await validate(tracker, domain)

    assert result == {
        slots.PATIENT_ID: "482913",
        slots.VALIDATION_FAILURES: {},
        slots.REQUESTED_SLOT: slots.PHONE_NUMBER,
    }
    assert said_back == []


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "said, extracted",
    [
        # DIET may cut a dictated ID into two entities: Rasa then fills a list.
        ("quatre huit deux neuf un trois", ["quatre huit deux", "neuf un trois"]),
        # ... or keep only part of it: the whole answer is read instead.
        ("mon numéro c'est quatre huit deux neuf un trois", "neuf un trois"),
    ],
)
async def test_patient_id_cut_by_the_entity_extractor(domain, said, extracted):
    tracker = booking_tracker(
        slots.PATIENT_ID, said, filled={slots.PATIENT_ID: extracted},
        slots_now={slots.LAST_NAME: "Dupont", slots.FIRST_NAME: "Marie"},
    )

    result, said_back = await validate(tracker, domain)

    assert result[slots.PATIENT_ID] == "482913"
    assert said_back == []


@pytest.mark.asyncio
async def test_wrong_digit_count_is_explained_and_counted(domain):
    """The keypad offer after the third one: tests/actions/test_never_loops.py."""
    failures = {slots.LAST_NAME: 1}  # another slot's failures are kept apart
    heard = []
    for said in ("quatre huit deux neuf un", "48 29 13 5", "douze"):
        tracker = booking_tracker(
            slots.PATIENT_ID, said, filled={slots.PATIENT_ID: said},
            slots_now={
                slots.LAST_NAME: "Dupont",
                slots.FIRST_NAME: "Marie",
                slots.VALIDATION_FAILURES: failures,
            },
        )
        result, said_back = await validate(tracker, domain)
        failures = result[slots.VALIDATION_FAILURES]
        assert result == {
            slots.PATIENT_ID: None,
            slots.VALIDATION_FAILURES: failures,
            slots.REQUESTED_SLOT: slots.PATIENT_ID,
        }
        heard += said_back

    assert failures == {slots.LAST_NAME: 1, slots.PATIENT_ID: 3}
    assert heard == [PATIENT_ID_HELP] * 3


@pytest.mark.asyncio
async def test_a_good_answer_forgets_the_failures_of_that_slot(domain):
    tracker = booking_tracker(
        slots.PATIENT_ID, "482913", filled={slots.PATIENT_ID: "482913"},
        slots_now={
            slots.LAST_NAME: "Dupont",
            slots.FIRST_NAME: "Marie",
            slots.VALIDATION_FAILURES: {slots.PATIENT_ID: 2, slots.LAST_NAME: 1},
        },
    )

    result, _ = await validate(tracker, domain)

    assert result[slots.VALIDATION_FAILURES] == {slots.LAST_NAME: 1}


# ----------------------------------------------------------------------- phone and identity


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "said",
    [
        "zéro six douze trente-quatre cinquante-six soixante-dix-huit",
        "06 12 34 56 78",
        "+33 6 12 34 56 78",
    ],
)
async def test_phone_is_normalized_for_a_new_patient(domain, operations, said):
    tracker = booking_tracker(
        slots.PHONE_NUMBER, said, filled={slots.PHONE_NUMBER: said},
        slots_now=identity_until(slots.PHONE_NUMBER),
    )

    result, said_back = await validate(tracker, domain)

    assert result == {
        slots.PHONE_NUMBER: "+33612345678",
        slots.VALIDATION_FAILURES: {},
        slots.REQUESTED_SLOT: slots.BOOKING_TIME,
    }
    assert said_back == []


@pytest.mark.asyncio
async def test_bad_phone_is_explained(domain, operations):
    tracker = booking_tracker(
        slots.PHONE_NUMBER, "zéro six douze", filled={slots.PHONE_NUMBER: "zéro six douze"},
        slots_now=identity_until(slots.PHONE_NUMBER),
    )

    result, said_back = await validate(tracker, domain)

    assert result == {
        slots.PHONE_NUMBER: None,
        slots.VALIDATION_FAILURES: {slots.PHONE_NUMBER: 1},
        slots.REQUESTED_SLOT: slots.PHONE_NUMBER,
    }
    assert said_back == [
        "Je n'ai pas compris ce numéro de téléphone. "
        "Dites-le par exemple : zéro six, douze, trente-quatre."
    ]


@pytest.mark.asyncio
async def test_known_patient_with_the_same_details_is_accepted(domain, operations):
    operations.book(MARIE, paris("2026-11-30T09:00:00"), "martin")
    tracker = booking_tracker(
        slots.PHONE_NUMBER, "06 12 34 56 78", filled={slots.PHONE_NUMBER: "06 12 34 56 78"},
        slots_now={**identity_until(slots.PHONE_NUMBER), slots.LAST_NAME: "DUPONT"},
    )

    result, said_back = await validate(tracker, domain)

    assert result == {
        slots.PHONE_NUMBER: "+33612345678",
        slots.VALIDATION_FAILURES: {},
        slots.REQUESTED_SLOT: slots.BOOKING_TIME,
    }
    assert said_back == []


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "changed, phone_said",
    [
        ({slots.LAST_NAME: "Durand"}, "06 12 34 56 78"),
        ({slots.FIRST_NAME: "Martine"}, "06 12 34 56 78"),
        ({}, "06 99 88 77 66"),
    ],
    ids=["other last name", "other first name", "other phone"],
)
async def test_known_patient_id_with_other_details_is_rejected_without_revealing_them(
    domain, operations, session_factory, changed, phone_said
):
    operations.book(MARIE, paris("2026-11-30T09:00:00"), "martin")
    tracker = booking_tracker(
        slots.PHONE_NUMBER, phone_said, filled={slots.PHONE_NUMBER: phone_said},
        slots_now={**identity_until(slots.PHONE_NUMBER), **changed},
    )

    result, said_back = await validate(tracker, domain)

    assert result == {
        slots.PATIENT_ID: None,
        slots.PHONE_NUMBER: None,
        slots.VALIDATION_FAILURES: {slots.PATIENT_ID: 1},
        slots.REQUESTED_SLOT: slots.PATIENT_ID,
    }
    # The same answer as for an unknown ID in the move and cancel forms: nothing tells
    # a caller guessing IDs that this one exists.
    assert said_back == [IDENTITY_NOT_FOUND]
    assert said_back == [
        "Je ne retrouve pas de dossier avec ce numéro de dossier et ce téléphone. Reprenons."
    ]
    # Nothing on file is said, and nothing is written.
    assert not any(secret in said_back[0] for secret in ("Dupont", "Marie", "06", "12 34", "lundi"))
    assert len(rows(session_factory, Appointment)) == 1


@pytest.mark.asyncio
async def test_known_patient_giving_id_and_phone_at_once_is_accepted(domain, operations):
    operations.book(MARIE, paris("2026-11-30T09:00:00"), "martin")
    said = "mon dossier c'est le 482913 et mon téléphone le 06 12 34 56 78"
    tracker = booking_tracker(
        slots.PATIENT_ID, said,
        filled={slots.PATIENT_ID: "482913", slots.PHONE_NUMBER: "06 12 34 56 78"},
        slots_now=identity_until(slots.PATIENT_ID),
    )

    result, said_back = await validate(tracker, domain)

    assert said_back == []
    assert result == {
        slots.PATIENT_ID: "482913",
        slots.PHONE_NUMBER: "+33612345678",
        slots.VALIDATION_FAILURES: {},
        slots.REQUESTED_SLOT: slots.BOOKING_TIME,
    }
