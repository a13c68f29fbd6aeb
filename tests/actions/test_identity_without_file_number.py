"""Issue 21, point 8: a patient without their file number is not asked it again.

clinic.yml's ``security.identity_without_file_number: name_and_phone`` (shipped)
finds the file by the name and phone on it, with the same lockout; ``none`` offers
the reception at once. On the booking and cancelling forms, SQLite and PostgreSQL.
"""
from __future__ import annotations

import dataclasses

import pytest

from actions import slots
from actions.appointment_lookup import AppointmentLookupValidation
from actions.booking import ValidateBookingForm
from actions.cancellation import ValidateCancelForm
from clinic.operations import ClinicOperations
from actions.clinic_service import use_clinic_operations
from actions.no_file_number import BY_NAME, NOT_FOUND_BY_NAME, does_not_have_it
from tests.actions.booking_form_trackers import booking_tracker, validate
from tests.actions.tracker_builder import (
    MARIE, make_tracker, new_dispatcher, paris,
    run_form_validation, texts,
)


@pytest.mark.parametrize("said", [
    "je ne l'ai pas", "je l'ai pas sur moi", "je l'ai perdu", "euh je ne sais pas",
    "je ne le connais pas", "je ne sais pas où le trouver", "je n'en ai pas",
    "aucune idée", "c'est quoi mon numéro de dossier ?", "je ne m'en souviens plus",
    "je l'ai oublié à la maison", "on ne m'a jamais donné de numéro",
])
def test_saying_one_does_not_have_it(said):
    assert does_not_have_it(said)


@pytest.mark.parametrize("said", ["482913", "quatre huit deux neuf un trois", "c'est le 482913"])
def test_a_number_is_a_number(said):
    assert not does_not_have_it(said)


@pytest.mark.asyncio
async def test_booking_without_the_number_asks_the_phone_and_finds_the_file(domain, operations):
    names = {slots.LAST_NAME: "Dupont", slots.FIRST_NAME: "Marie"}
    operations.book(MARIE, paris("2026-11-30T09:00:00"), "martin")
    lacking = booking_tracker(slots.PATIENT_ID, "je ne l'ai pas sur moi", intent="deny",
                              slots_now=names)

    result, said_back = await validate(lacking, domain)

    assert said_back == [BY_NAME]
    assert result[slots.NO_FILE_NUMBER] is True
    assert result[slots.REQUESTED_SLOT] == slots.PHONE_NUMBER  # not the number again

    phone = booking_tracker(slots.PHONE_NUMBER, "06 12 34 56 78",
                            filled={slots.PHONE_NUMBER: "06 12 34 56 78"},
                            slots_now={**names, slots.NO_FILE_NUMBER: True})
    result, said_back = await validate(phone, domain)

    assert result[slots.PATIENT_ID] == "482913" and said_back == []
    assert result[slots.REQUESTED_SLOT] == slots.BOOKING_TIME


@pytest.mark.asyncio
async def test_a_wrong_name_or_phone_reveals_nothing_and_counts(domain, operations):
    operations.book(MARIE, paris("2026-11-30T09:00:00"), "martin")
    phone = booking_tracker(slots.PHONE_NUMBER, "06 99 88 77 66",
                            filled={slots.PHONE_NUMBER: "06 99 88 77 66"},
                            slots_now={slots.LAST_NAME: "Dupont", slots.FIRST_NAME: "Marie",
                                       slots.NO_FILE_NUMBER: True})

    result, said_back = await validate(phone, domain)

    assert said_back == [NOT_FOUND_BY_NAME]
    assert (result[slots.LAST_NAME], result[slots.FIRST_NAME], result[slots.PHONE_NUMBER]) == (
        None, None, None)
    assert result[slots.VALIDATION_FAILURES] == {slots.PATIENT_ID: 1}


@pytest.mark.asyncio
async def test_cancelling_without_the_number_asks_the_names(domain, operations):
    operations.book(MARIE, paris("2026-11-30T09:00:00"), "martin")
    lacking = make_tracker(text="je l'ai perdu", intent="deny", active_loop=slots.CANCEL_FORM,
                           requested_slot=slots.PATIENT_ID)
    dispatcher = new_dispatcher()

    result = await run_form_validation(ValidateCancelForm(), lacking, dispatcher, domain)

    assert texts(dispatcher) == [BY_NAME]
    assert result[slots.REQUESTED_SLOT] == slots.LAST_NAME
    assert isinstance(ValidateCancelForm(), AppointmentLookupValidation)

    phone = make_tracker(
        text="06 12 34 56 78", active_loop=slots.CANCEL_FORM, requested_slot=slots.PHONE_NUMBER,
        slots={slots.LAST_NAME: "Dupont", slots.FIRST_NAME: "Marie", slots.NO_FILE_NUMBER: True},
        filled={slots.PHONE_NUMBER: "06 12 34 56 78"},
    )
    dispatcher = new_dispatcher()
    result = await run_form_validation(ValidateCancelForm(), phone, dispatcher, domain)

    assert result[slots.IDENTITY_VERIFIED] is True and result[slots.PATIENT_ID] == "482913"
    assert texts(dispatcher)[0].startswith("Merci. Votre rendez-vous est le lundi 30 novembre")


@pytest.mark.asyncio
async def test_a_clinic_without_the_alternative_offers_the_reception(
        domain, operations, session_factory, clinic, fixed_now):
    security = dataclasses.replace(clinic.security, identity_without_file_number="none")
    strict = ClinicOperations(session_factory, dataclasses.replace(clinic, security=security),
                              clock=lambda: fixed_now)
    use_clinic_operations(strict)
    lacking = booking_tracker(slots.PATIENT_ID, "je ne sais pas", intent="inform",
                              filled={slots.PATIENT_ID: "je ne sais pas"})

    result, said_back = await validate(lacking, domain)

    assert said_back[0].startswith("Sans numéro de dossier")
    assert "accueil" in said_back[0]
    assert result[slots.OUTCOME] == {"gave_up": slots.PATIENT_ID}
    assert result[slots.REQUESTED_SLOT] is None  # the form ends on the offer
    assert ValidateBookingForm  # the booking form's own validation ran


@pytest.mark.asyncio
async def test_a_bare_name_answers_the_cancel_form_s_name_question(domain, operations):
    """The domain maps bare answers to names in the booking form only: the move and
    cancel forms read them themselves once the names are asked."""
    tracker = make_tracker(text="euh Dupont", intent="inform", active_loop=slots.CANCEL_FORM,
                           requested_slot=slots.LAST_NAME, slots={slots.NO_FILE_NUMBER: True})

    result = await run_form_validation(ValidateCancelForm(), tracker, new_dispatcher(), domain)

    assert result[slots.LAST_NAME] == "Dupont"
    assert result[slots.REQUESTED_SLOT] == slots.FIRST_NAME
