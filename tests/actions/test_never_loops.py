"""A question is never asked a fourth time: the per-slot limit of clinic.yml
(``conversation.max_asks_per_slot``), on real Trackers, for the booking form.

At the limit a digit question (phone, patient ID) is replaced by the offer of the
keypad, the front desk or to stop; any other question ends the form with the offer
of the front desk or to stop, and « oui » then transfers (``handoff_offered``).
"""
from __future__ import annotations

import pytest

from actions import slots
from actions.ask_limit import ActionAskPhoneNumber, KEYPAD_OFFER, LIMIT_OFFER
from actions.booking import ActionAskBookingTime, ActionBookingDone, ValidateBookingForm
from tests.actions.tracker_builder import (
    make_tracker, new_dispatcher, run_action,
    run_form_validation, texts, time_entity,
)

IDENTITY = {
    slots.LAST_NAME: "Dupont",
    slots.FIRST_NAME: "Marie",
    slots.PATIENT_ID: "482913",
}
PHONE_HELP = (
    "Je n'ai pas compris ce numéro de téléphone. "
    "Dites-le par exemple : zéro six, douze, trente-quatre."
)
HORIZON = "Je peux prendre des rendez-vous jusqu'au mardi 23 février 2027."


def booking_tracker(requested_slot, text="", filled=None, slots_now=None, **kwargs):
    return make_tracker(
        slots=slots_now, text=text, active_loop=slots.BOOKING_FORM,
        requested_slot=requested_slot, filled=filled, **kwargs,
    )


async def validate(tracker, domain):
    dispatcher = new_dispatcher()
    result = await run_form_validation(ValidateBookingForm(), tracker, dispatcher, domain)
    return result, texts(dispatcher)


async def ask_phone(failures, domain):
    dispatcher = new_dispatcher()
    tracker = booking_tracker(
        slots.PHONE_NUMBER, slots_now={**IDENTITY, slots.VALIDATION_FAILURES: failures}
    )
    assert await run_action(ActionAskPhoneNumber(), tracker, dispatcher, domain) == []
    return texts(dispatcher)


@pytest.mark.asyncio
async def test_three_rejected_phone_numbers_get_the_offer_not_a_fourth_question(domain, operations):
    failures = {}
    heard = []
    for said in ("zéro six douze", "je sais plus", "06 12 34"):
        heard += await ask_phone(failures, domain)
        tracker = booking_tracker(
            slots.PHONE_NUMBER, said, filled={slots.PHONE_NUMBER: said},
            slots_now={**IDENTITY, slots.VALIDATION_FAILURES: failures},
        )
        result, said_back = await validate(tracker, domain)
        failures = result[slots.VALIDATION_FAILURES]
        assert result[slots.PHONE_NUMBER] is None
        assert result[slots.REQUESTED_SLOT] == slots.PHONE_NUMBER  # the keypad stays open
        heard += said_back
    heard += await ask_phone(failures, domain)

    assert failures == {slots.PHONE_NUMBER: 3}
    assert heard == [
        "utter_ask_phone_number", PHONE_HELP,
        "utter_ask_phone_number", PHONE_HELP,
        "utter_ask_phone_number", PHONE_HELP,
        KEYPAD_OFFER,
    ]
    assert KEYPAD_OFFER == (
        "Vous pouvez taper votre numéro sur le clavier, dire « accueil » et je vous passe "
        "l'accueil du cabinet, ou « stop » pour arrêter."
    )


@pytest.mark.asyncio
async def test_a_phone_rejected_after_the_offer_ends_the_form_with_the_front_desk(domain, operations):
    tracker = booking_tracker(
        slots.PHONE_NUMBER, "euh", filled={slots.PHONE_NUMBER: "euh"},
        slots_now={**IDENTITY, slots.VALIDATION_FAILURES: {slots.PHONE_NUMBER: 3}},
    )

    result, said_back = await validate(tracker, domain)

    assert result[slots.REQUESTED_SLOT] is None  # the form ends: no question again
    assert result[slots.OUTCOME] == {"gave_up": slots.PHONE_NUMBER}
    assert said_back == [f"{PHONE_HELP} {LIMIT_OFFER}"]
    assert LIMIT_OFFER == (
        "Dites « accueil » et je vous passe l'accueil du cabinet, ou « stop » pour arrêter."
    )


@pytest.mark.asyncio
async def test_after_the_form_gave_up_oui_transfers(domain, operations):
    tracker = make_tracker(slots={**IDENTITY, slots.OUTCOME: {"gave_up": slots.BOOKING_TIME}})
    dispatcher = new_dispatcher()

    events = await run_action(ActionBookingDone(), tracker, dispatcher, domain)

    assert texts(dispatcher) == []  # the offer has just been said
    assert {"event": "slot", "name": slots.HANDOFF_OFFERED, "value": True,
            "timestamp": None} in events
    assert {"event": "slot", "name": slots.OUTCOME, "value": None, "timestamp": None} in events


def too_far_tracker(failures):
    said = "le 10 mars"
    entity = time_entity(said, "2027-03-10T10:00:00.000+01:00", grain="hour")
    return booking_tracker(
        slots.BOOKING_TIME, said, entities=[entity],
        filled={slots.BOOKING_TIME: entity["value"]},
        slots_now={**IDENTITY, slots.PHONE_NUMBER: "+33612345678",
                   slots.VALIDATION_FAILURES: failures},
    )


@pytest.mark.asyncio
async def test_a_too_far_date_says_the_horizon_and_offers_the_last_free_times(domain, operations):
    result, said_back = await validate(too_far_tracker({}), domain)

    assert said_back == [HORIZON]
    assert result[slots.VALIDATION_FAILURES] == {slots.BOOKING_TIME: 1}
    assert result[slots.REQUESTED_SLOT] == slots.BOOKING_TIME
    # the free times nearest to the horizon (Tuesday 23 February 2027, 9:00)
    assert [o["start"] for o in result[slots.OFFERED_SLOTS]] == [
        "2027-02-22T18:30:00+01:00", "2027-02-23T08:30:00+01:00", "2027-02-23T09:00:00+01:00",
    ]
    dispatcher = new_dispatcher()
    asking = booking_tracker(slots.BOOKING_TIME, slots_now={**IDENTITY, **result})
    await run_action(ActionAskBookingTime(), asking, dispatcher, domain)
    assert texts(dispatcher) == [
        "Je peux vous proposer lundi 22 février 2027 à 18 heures 30, mardi 23 février 2027 "
        "à 8 heures 30 ou mardi 23 février 2027 à 9 heures. Lequel préférez-vous ?"
    ]


@pytest.mark.asyncio
async def test_a_too_far_day_says_the_horizon(domain, operations):
    said = "en avril"
    entity = time_entity(said, "2027-04-01T00:00:00.000+02:00", grain="day")
    tracker = booking_tracker(
        slots.BOOKING_TIME, said, entities=[entity],
        filled={slots.BOOKING_TIME: entity["value"]},
        slots_now={**IDENTITY, slots.PHONE_NUMBER: "+33612345678"},
    )

    _, said_back = await validate(tracker, domain)

    assert said_back == [HORIZON]


@pytest.mark.asyncio
async def test_three_too_far_dates_end_the_form_with_the_offer(domain, operations):
    failures = {}
    heard = []
    for _ in range(3):
        result, said_back = await validate(too_far_tracker(failures), domain)
        failures = result[slots.VALIDATION_FAILURES]
        heard += said_back

    assert heard == [HORIZON, HORIZON, f"{HORIZON} {LIMIT_OFFER}"]
    assert result[slots.REQUESTED_SLOT] is None
    assert result[slots.OUTCOME] == {"gave_up": slots.BOOKING_TIME}


@pytest.mark.asyncio
async def test_the_limit_comes_from_clinic_yml(domain, operations, monkeypatch, tmp_path,
                                               shipped_clinic):
    """The actions read the limit from the clinic's file: 3 as shipped (a second rejected
    date is asked again); the same file with ``max_asks_per_slot: 2`` (``CLINIC_CONFIG``)
    ends the form at the second."""
    from clinic.config import clinic_config
    from simulation.stack import PROJECT_ROOT, settings_copy

    assert shipped_clinic.conversation.max_asks_per_slot == 3
    clinic_config.cache_clear()  # the process reads clinic.yml once: read it as shipped
    result, said_back = await validate(too_far_tracker({slots.BOOKING_TIME: 1}), domain)
    assert said_back == [HORIZON]
    assert result[slots.REQUESTED_SLOT] == slots.BOOKING_TIME

    changed = settings_copy(PROJECT_ROOT / "clinic.yml", tmp_path, "conversation",
                            max_asks_per_slot=2)
    try:
        with monkeypatch.context() as patched:
            patched.setenv("CLINIC_CONFIG", str(changed))
            clinic_config.cache_clear()
            result, said_back = await validate(too_far_tracker({slots.BOOKING_TIME: 1}), domain)
    finally:
        clinic_config.cache_clear()  # the next reader gets the shipped file again

    assert said_back == [f"{HORIZON} {LIMIT_OFFER}"]
    assert result[slots.REQUESTED_SLOT] is None
