"""The booking form's validation and questions, run as Rasa runs them, on SQLite and PostgreSQL.

Each test builds the tracker the action server receives for one caller's answer
(see ``tests/tracker_builder.py``) and checks the exact slot events returned and
the exact French sentences the caller hears.
"""
from __future__ import annotations

import pytest
from sqlalchemy import create_engine, select, text as sql

from actions import slots
from actions.booking import (
    ActionAskBookingConfirmed,
    ActionAskBookingTime,
    ActionBookingDone,
    ValidateBookingForm,
)
from actions.clinic_operations import ClinicOperations, PatientDetails
from actions.clinic_service import use_clinic_operations
from actions.conversation_control import reset_form_events
from actions.database import make_session_factory
from actions.form_validation import IDENTITY_NOT_FOUND
from actions.models import STATUS_BOOKED, Appointment, Patient
from actions.time_answers import CALENDAR_UNAVAILABLE, DATES_UNAVAILABLE, NOT_UNDERSTOOD
from tests.tracker_builder import (  # noqa: F401  (fixtures)
    BOB,
    MARIE,
    domain,
    duckling,
    duckling_down,
    duckling_server,
    interval_entity,
    make_tracker,
    new_dispatcher,
    operations,
    paris,
    run_action,
    run_form_validation,
    slot_value,
    texts,
    time_entity,
)

IDENTITY = {
    slots.LAST_NAME: "Dupont",
    slots.FIRST_NAME: "Marie",
    slots.PATIENT_ID: "482913",
    slots.PHONE_NUMBER: "+33612345678",
}
THURSDAY_1030 = slot_value("2026-11-26T10:30:00", "martin")
PATIENT_ID_HELP = "Je n'ai pas compris le numéro de dossier. Il compte 6 chiffres."


def booking_tracker(requested_slot, text="", filled=None, slots_now=None, **kwargs):
    return make_tracker(
        slots=slots_now,
        text=text,
        active_loop=slots.BOOKING_FORM,
        requested_slot=requested_slot,
        filled=filled,
        **kwargs,
    )


async def validate(tracker, domain):
    dispatcher = new_dispatcher()
    result = await run_form_validation(ValidateBookingForm(), tracker, dispatcher, domain)
    return result, texts(dispatcher)


def rows(session_factory, model):
    with session_factory() as session:
        return session.scalars(select(model).order_by(model.id)).all()


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
    """The keypad offer after the third one: tests/test_never_loops.py."""
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


def identity_until(slot):
    """The identity slots the form has already validated before asking ``slot``."""
    order = [slots.LAST_NAME, slots.FIRST_NAME, slots.PATIENT_ID, slots.PHONE_NUMBER]
    return {name: IDENTITY[name] for name in order[: order.index(slot)]}


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


# ----------------------------------------------------------------------- time


def time_tracker(said, entities=(), slots_now=None, filled_value=None):
    """The caller answers the time question; Rasa fills ``booking_time`` from the
    time entity's value, else from the text."""
    entities = list(entities)
    value = filled_value or (entities[0]["value"] if entities else said)
    return booking_tracker(
        slots.BOOKING_TIME, said, entities=entities,
        filled={slots.BOOKING_TIME: value},
        slots_now={**IDENTITY, **(slots_now or {})},
    )


async def ask_time(tracker_slots, domain):
    dispatcher = new_dispatcher()
    tracker = booking_tracker(slots.BOOKING_TIME, slots_now={**IDENTITY, **tracker_slots})
    assert await run_action(ActionAskBookingTime(), tracker, dispatcher, domain) == []
    return texts(dispatcher)


@pytest.mark.asyncio
async def test_exact_free_time_is_chosen(domain, operations):
    entity = time_entity("jeudi à 10h30", "2026-11-26T10:30:00.000+01:00")

    result, said_back = await validate(time_tracker("jeudi à 10h30", [entity]), domain)

    assert result == {
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


@pytest.mark.asyncio
async def test_taken_time_offers_the_three_nearest(domain, operations):
    operations.book(BOB, paris("2026-11-26T10:30:00"), "martin")
    entity = time_entity("jeudi à 10h30", "2026-11-26T10:30:00.000+01:00")
    tracker = time_tracker("jeudi à 10h30", [entity], slots_now={slots.DOCTOR: "Martin"})

    result, said_back = await validate(tracker, domain)

    offers = [
        slot_value("2026-11-26T09:30:00", "martin"),
        slot_value("2026-11-26T10:00:00", "martin"),
        slot_value("2026-11-26T11:00:00", "martin"),
    ]
    assert result == {
        slots.BOOKING_TIME: None,
        slots.CHOSEN_SLOT: None,
        slots.OFFERED_SLOTS: offers,
        slots.VALIDATION_FAILURES: {slots.BOOKING_TIME: 1},  # a rejection counts
        slots.REQUESTED_SLOT: slots.BOOKING_TIME,
    }
    assert said_back == ["Ce créneau est déjà pris."]
    assert await ask_time({slots.OFFERED_SLOTS: offers}, domain) == [
        "Je peux vous proposer jeudi 26 novembre à 9 heures 30, à 10 heures ou à 11 heures. "
        "Lequel préférez-vous ?"
    ]


@pytest.mark.asyncio
async def test_closed_day_at_a_time_is_explained_with_offers(domain, operations):
    entity = time_entity("dimanche à 10h", "2026-11-29T10:00:00.000+01:00", grain="hour")

    result, said_back = await validate(time_tracker("dimanche à 10h", [entity]), domain)

    offers = [
        slot_value("2026-11-28T11:00:00", "martin"),
        slot_value("2026-11-28T11:30:00", "martin"),
        slot_value("2026-11-30T08:30:00", "martin"),
    ]
    assert result == {
        slots.BOOKING_TIME: None,
        slots.CHOSEN_SLOT: None,
        slots.OFFERED_SLOTS: offers,
        slots.VALIDATION_FAILURES: {slots.BOOKING_TIME: 1},  # a rejection counts
        slots.REQUESTED_SLOT: slots.BOOKING_TIME,
    }
    assert said_back == ["Le cabinet est fermé ce jour-là."]
    assert await ask_time({slots.OFFERED_SLOTS: offers}, domain) == [
        "Je peux vous proposer samedi 28 novembre à 11 heures, samedi 28 novembre à 11 heures 30 "
        "ou lundi 30 novembre à 8 heures 30. Lequel préférez-vous ?"
    ]


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
async def test_a_full_part_of_day_offers_the_nearest_free_times(domain, operations):
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
        slots.BOOKING_TIME: None,
        slots.CHOSEN_SLOT: None,
        slots.OFFERED_SLOTS: [
            slot_value("2026-11-25T14:00:00", "martin"),
            slot_value("2026-11-25T14:30:00", "martin"),
            slot_value("2026-11-25T15:00:00", "martin"),
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


# ----------------------------------------------------------------------- read-back and booking


CHOSEN = {**IDENTITY, slots.BOOKING_TIME: "2026-11-26T10:30:00+01:00", slots.CHOSEN_SLOT: THURSDAY_1030}


@pytest.mark.asyncio
async def test_read_back(domain, operations):
    dispatcher = new_dispatcher()
    tracker = booking_tracker(slots.BOOKING_CONFIRMED, slots_now=CHOSEN)

    assert await run_action(ActionAskBookingConfirmed(), tracker, dispatcher, domain) == []

    assert texts(dispatcher) == [
        "Je récapitule : rendez-vous pour Marie Dupont, dossier 4 8 2 9 1 3, "
        "téléphone 06 12 34 56 78, le jeudi 26 novembre à 10 heures 30, "
        "avec la docteure Martin. Je confirme ?"
    ]


def confirm_tracker(answer: bool, slots_now=CHOSEN):
    return booking_tracker(
        slots.BOOKING_CONFIRMED, "oui" if answer else "non",
        intent="affirm" if answer else "deny",
        filled={slots.BOOKING_CONFIRMED: answer},
        slots_now=slots_now,
    )


@pytest.mark.asyncio
async def test_confirm_books_the_appointment(domain, operations, session_factory):
    result, said_back = await validate(confirm_tracker(True), domain)

    [row] = rows(session_factory, Appointment)
    assert result == {
        slots.BOOKING_CONFIRMED: True,
        slots.OUTCOME: {"booked": row.id, **THURSDAY_1030},
        slots.REQUESTED_SLOT: None,
    }
    assert said_back == []
    [patient] = rows(session_factory, Patient)
    assert (patient.clinic_patient_id, patient.first_name, patient.last_name, patient.phone_e164) == (
        "482913", "Marie", "Dupont", "+33612345678",
    )
    assert (row.patient_id, row.doctor_id, row.status) == (patient.id, "martin", STATUS_BOOKED)
    assert operations.upcoming_appointments("482913", "+33612345678")[0].start == paris(
        "2026-11-26T10:30:00"
    )


@pytest.mark.asyncio
async def test_confirm_when_the_slot_was_just_taken_offers_again(domain, operations, session_factory):
    # Tuesday morning only the docteure Martin works.
    chosen = slot_value("2026-12-01T10:00:00", "martin")
    operations.book(BOB, paris("2026-12-01T10:00:00"), "martin")
    tracker = confirm_tracker(
        True, {**IDENTITY, slots.BOOKING_TIME: chosen["start"], slots.CHOSEN_SLOT: chosen}
    )

    result, said_back = await validate(tracker, domain)

    offers = [
        slot_value("2026-12-01T09:00:00", "martin"),
        slot_value("2026-12-01T09:30:00", "martin"),
        slot_value("2026-12-01T10:30:00", "martin"),
    ]
    assert result == {
        slots.BOOKING_CONFIRMED: None,
        slots.BOOKING_TIME: None,
        slots.CHOSEN_SLOT: None,
        slots.OFFERED_SLOTS: offers,
        slots.REQUESTED_SLOT: slots.BOOKING_TIME,
    }
    assert said_back == ["Ce créneau vient d'être pris."]
    assert len(rows(session_factory, Appointment)) == 1
    assert [p.clinic_patient_id for p in rows(session_factory, Patient)] == [BOB.clinic_patient_id]
    assert await ask_time({slots.OFFERED_SLOTS: offers}, domain) == [
        "Je peux vous proposer mardi 1er décembre à 9 heures, à 9 heures 30 ou à 10 heures 30. "
        "Lequel préférez-vous ?"
    ]


@pytest.mark.asyncio
async def test_confirm_books_the_doctor_read_back_or_offers_again(domain, operations, session_factory):
    operations.book(BOB, paris("2026-11-26T10:30:00"), "martin")

    result, said_back = await validate(confirm_tracker(True), domain)

    assert said_back == ["Ce créneau vient d'être pris."]
    assert result[slots.BOOKING_CONFIRMED] is None
    assert [row.doctor_id for row in rows(session_factory, Appointment)] == ["martin"]


@pytest.mark.asyncio
async def test_confirm_for_a_time_already_booked_by_the_caller(domain, operations, session_factory):
    operations.book(MARIE, paris("2026-11-26T10:30:00"), "dubois")

    result, said_back = await validate(confirm_tracker(True), domain)

    assert said_back == ["Vous avez déjà un rendez-vous à ce moment-là."]
    assert result[slots.BOOKING_CONFIRMED] is None
    assert result[slots.CHOSEN_SLOT] is None
    assert result[slots.REQUESTED_SLOT] == slots.BOOKING_TIME
    assert len(rows(session_factory, Appointment)) == 1


@pytest.mark.asyncio
async def test_deny_asks_what_to_correct(domain, operations, session_factory):
    result, said_back = await validate(confirm_tracker(False), domain)

    # With the correction pending the required slots are the domain's, so rasa_sdk
    # leaves the next question to Rasa's FormAction: the first empty one of the
    # domain's list, booking_correction.
    assert result == {slots.BOOKING_CONFIRMED: None, slots.CORRECTION_PENDING: True}
    assert said_back == []
    assert rows(session_factory, Appointment) == []
    assert domain["responses"]["utter_ask_booking_correction"] == [
        {"text": "Que faut-il corriger : le nom, le prénom, le numéro de dossier, "
                 "le téléphone, ou la date ?"}
    ]


def correction_tracker(said, entities=(), filled=None):
    return booking_tracker(
        slots.BOOKING_CORRECTION, said, entities=list(entities),
        filled={**(filled or {}), slots.BOOKING_CORRECTION: said},
        slots_now={**CHOSEN, slots.CORRECTION_PENDING: True},
    )


@pytest.mark.asyncio
async def test_correcting_the_date_clears_the_time(domain, operations):
    result, said_back = await validate(correction_tracker("la date"), domain)

    assert result == {
        slots.BOOKING_CORRECTION: None,
        slots.CORRECTION_PENDING: False,
        slots.BOOKING_CONFIRMED: None,
        slots.BOOKING_TIME: None,
        slots.CHOSEN_SLOT: None,
        slots.OFFERED_SLOTS: [],
        slots.REQUESTED_SLOT: slots.BOOKING_TIME,
    }
    assert said_back == []


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "said, field",
    [("le prénom", slots.FIRST_NAME), ("mon nom", slots.LAST_NAME),
     ("le numéro de dossier", slots.PATIENT_ID), ("le téléphone", slots.PHONE_NUMBER)],
)
async def test_correcting_a_field_clears_it(domain, operations, said, field):
    result, said_back = await validate(correction_tracker(said), domain)

    assert result == {
        slots.BOOKING_CORRECTION: None,
        slots.CORRECTION_PENDING: False,
        slots.BOOKING_CONFIRMED: None,
        field: None,
        slots.REQUESTED_SLOT: field,
    }
    assert said_back == []


@pytest.mark.asyncio
async def test_correction_with_the_new_value_keeps_it(domain, operations):
    said = "mon prénom c'est Marion"
    entity = {"entity": "first_name", "start": 18, "end": 24, "value": "Marion",
              "extractor": "DIETClassifier"}
    tracker = correction_tracker(said, [entity], filled={slots.FIRST_NAME: "Marion"})

    result, said_back = await validate(tracker, domain)

    assert result == {
        slots.FIRST_NAME: "Marion",
        slots.VALIDATION_FAILURES: {},
        slots.BOOKING_CORRECTION: None,
        slots.CORRECTION_PENDING: False,
        slots.BOOKING_CONFIRMED: None,
        slots.REQUESTED_SLOT: slots.BOOKING_CONFIRMED,
    }
    assert said_back == []


@pytest.mark.asyncio
async def test_unclear_correction_is_explained(domain, operations):
    result, said_back = await validate(correction_tracker("euh je sais pas"), domain)

    assert result == {  # Rasa's FormAction asks booking_correction again (see above)
        slots.BOOKING_CORRECTION: None,
        slots.VALIDATION_FAILURES: {slots.BOOKING_CORRECTION: 1},
    }
    assert said_back == ["Je n'ai pas compris ce qu'il faut corriger."]


# ----------------------------------------------------------------------- the end


@pytest.mark.asyncio
async def test_booking_done_says_the_appointment_and_resets(domain, operations):
    dispatcher = new_dispatcher()
    tracker = make_tracker(
        slots={**CHOSEN, slots.BOOKING_CONFIRMED: True,
               slots.OUTCOME: {"booked": 7, **THURSDAY_1030}},
    )

    events = await run_action(ActionBookingDone(), tracker, dispatcher, domain)

    assert texts(dispatcher) == [
        "C'est noté. Votre rendez-vous est le jeudi 26 novembre à 10 heures 30, "
        "avec la docteure Martin. Puis-je faire autre chose pour vous ?"
    ]
    assert events == reset_form_events()
    assert {e["name"]: e["value"] for e in events} == {
        **{name: None for name in slots.FORM_SLOTS}, slots.OUTCOME: None,
    }
    assert slots.HANDOFF_OFFERED not in {e["name"] for e in events}


@pytest.mark.asyncio
async def test_booking_done_without_a_booking(domain, operations):
    dispatcher = new_dispatcher()

    events = await run_action(ActionBookingDone(), make_tracker(), dispatcher, domain)

    assert texts(dispatcher) == ["utter_anything_else"]
    assert events == reset_form_events()


# ----------------------------------------------------------------------- the calendar fails


def drop_appointments(database_url):
    engine = create_engine(database_url)
    try:
        with engine.begin() as connection:
            connection.execute(sql("DROP TABLE appointments"))
    finally:
        engine.dispose()


@pytest.mark.asyncio
async def test_database_failure_at_confirmation(domain, operations, session_factory, database_url):
    session_factory.kw["bind"].dispose()  # no pooled connection holds the table
    drop_appointments(database_url)

    result, said_back = await validate(confirm_tracker(True), domain)

    assert result == {
        slots.BOOKING_CONFIRMED: None,
        slots.VALIDATION_FAILURES: {slots.BOOKING_CONFIRMED: 1},
        slots.REQUESTED_SLOT: slots.BOOKING_CONFIRMED,
    }
    assert said_back == [CALENDAR_UNAVAILABLE]
    assert said_back == [
        "Je suis désolé, l'agenda du cabinet ne répond pas pour le moment. "
        "Rien n'a été modifié. Vous pouvez réessayer dans un instant, "
        "ou demander à parler à quelqu'un."
    ]
    assert rows(session_factory, Patient) == []  # the new patient was rolled back too


@pytest.fixture
def unreachable_operations(database_url, clinic, fixed_now, tmp_path):
    """Operations whose database cannot be reached at all."""
    if database_url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path / 'missing' / 'dir' / 'clinic.db'}"
    else:
        url = "postgresql://clinic:clinic@127.0.0.1:9/clinic_test"
    engine = create_engine(url, future=True)
    ops = ClinicOperations(make_session_factory(engine), clinic, clock=lambda: fixed_now)
    use_clinic_operations(ops)
    yield ops
    use_clinic_operations(None)
    engine.dispose()


@pytest.mark.asyncio
async def test_database_unreachable_when_choosing_a_time(domain, unreachable_operations):
    entity = time_entity("jeudi à 10h30", "2026-11-26T10:30:00.000+01:00")

    result, said_back = await validate(time_tracker("jeudi à 10h30", [entity]), domain)

    assert result == {
        slots.BOOKING_TIME: None,
        slots.VALIDATION_FAILURES: {slots.BOOKING_TIME: 1},
        slots.REQUESTED_SLOT: slots.BOOKING_TIME,
    }
    assert said_back == [CALENDAR_UNAVAILABLE]


@pytest.mark.asyncio
async def test_database_unreachable_when_checking_identity(domain, unreachable_operations):
    tracker = booking_tracker(
        slots.PHONE_NUMBER, "06 12 34 56 78", filled={slots.PHONE_NUMBER: "06 12 34 56 78"},
        slots_now=identity_until(slots.PHONE_NUMBER),
    )

    result, said_back = await validate(tracker, domain)

    assert result == {
        slots.PHONE_NUMBER: None,
        slots.VALIDATION_FAILURES: {slots.PHONE_NUMBER: 1},
        slots.REQUESTED_SLOT: slots.PHONE_NUMBER,
    }
    assert said_back == [CALENDAR_UNAVAILABLE]


@pytest.mark.asyncio
async def test_database_unreachable_at_confirmation(domain, unreachable_operations):
    result, said_back = await validate(confirm_tracker(True), domain)

    assert result[slots.BOOKING_CONFIRMED] is None
    assert said_back == [CALENDAR_UNAVAILABLE]
