"""Issue 21, point 2: the read-back shows each value from the right place.

A surname spelled letter by letter is joined; a name is taken only from words said as
the caller's name (not the doctor's, not « nonante » in a phone number); « changer de
médecin » is a correction like the others. Real trackers, SQLite and PostgreSQL.
"""
from __future__ import annotations

import pytest
from rasa_sdk.events import SlotSet

from actions import slots
from spoken_french.spelling import spelled_word
from tests.actions.booking_form_trackers import CHOSEN, booking_tracker, validate
from tests.actions.tracker_builder import action_event, user_event


@pytest.mark.parametrize("said, word", [
    ("R, O, U, X", "Roux"), ("R O U X", "Roux"), ("r-o-u-x", "Roux"), ("R. O. U. X.", "Roux"),
    ("ça s'écrit R O U X", "Roux"), ("Rouxe, R, O, U, X", "Roux"),
    ("je vous l'épelle : D U P O N T", "Dupont"),
])
def test_a_spelled_word_is_joined(said, word):
    assert spelled_word(said) == word


@pytest.mark.parametrize("said", ["Roux", "R", "Jean-Pierre", "Le Goff", "06 12 34"])
def test_a_word_that_is_not_spelled(said):
    assert spelled_word(said) is None


@pytest.mark.asyncio
async def test_a_spelled_surname_is_the_whole_word(domain, operations):
    # The NLU tags one letter as the name (« X »); the answer is the spelling.
    tracker = booking_tracker(slots.LAST_NAME, "R, O, U, X",
                              entities=[{"entity": "last_name", "value": "X", "start": 9, "end": 10}],
                              filled={slots.LAST_NAME: "X"})
    result, said_back = await validate(tracker, domain)
    assert result[slots.LAST_NAME] == "Roux" and said_back == []


@pytest.mark.asyncio
async def test_a_spelling_taken_for_ok_is_still_the_surname(domain, operations):
    # « R, O, U, X » reads like « OK »: the NLU says affirm and maps no name.
    tracker = booking_tracker(slots.LAST_NAME, "R, O, U, X", intent="affirm")
    result, said_back = await validate(tracker, domain)
    assert result[slots.LAST_NAME] == "Roux" and said_back == []


@pytest.mark.asyncio
async def test_the_doctor_named_with_the_name_is_not_the_surname(domain, operations):
    said = "Paul Girard, je voudrais voir le docteur Dubois"
    tracker = booking_tracker(
        None, said, intent="book_appointment",
        entities=[{"entity": "first_name", "value": "Paul"}, {"entity": "last_name", "value": "Girard"},
                  {"entity": "last_name", "value": "Dubois"}],
        filled={slots.FIRST_NAME: "Paul", slots.LAST_NAME: "Dubois"},
    )
    result, _ = await validate(tracker, domain)
    assert result.get(slots.LAST_NAME) != "Dubois"


@pytest.mark.asyncio
async def test_a_number_word_while_the_phone_is_asked_is_not_a_name(domain, operations):
    said = "zéro six nonante-deux septante-trois quatre-vingt-un zéro quatre"
    names = {slots.LAST_NAME: "Girard", slots.FIRST_NAME: "Paul", slots.PATIENT_ID: "482913"}
    tracker = booking_tracker(
        slots.PHONE_NUMBER, said,
        entities=[{"entity": "last_name", "value": "nonante"}],
        events=[SlotSet(slots.LAST_NAME, "Girard"), action_event("action_listen"),
                user_event(said, "inform", [{"entity": "last_name", "value": "nonante"}])],
        filled={slots.LAST_NAME: "nonante", slots.PHONE_NUMBER: said}, slots_now=names,
    )
    result, _ = await validate(tracker, domain)
    assert result[slots.LAST_NAME] == "Girard"


@pytest.mark.asyncio
@pytest.mark.parametrize("said, doctor", [
    ("je voudrais changer de médecin", None),
    ("le médecin, je préfère le docteur Dubois", "Dubois"),
    ("plutôt avec Dubois comme docteur", "Dubois"),
])
async def test_the_doctor_is_corrected_like_the_rest(domain, operations, said, doctor):
    tracker = booking_tracker(
        slots.BOOKING_CORRECTION, said, filled={slots.BOOKING_CORRECTION: said},
        slots_now={**CHOSEN, slots.CORRECTION_PENDING: True},
    )
    result, said_back = await validate(tracker, domain)
    assert result[slots.DOCTOR] == doctor
    assert result[slots.BOOKING_TIME] is None and result[slots.CHOSEN_SLOT] is None
    if doctor is None:
        assert said_back == [
            "D'accord. Vous pouvez venir avec la docteure Martin, le docteur Dubois ou la "
            "docteure Nguyen. Dites-moi le médecin avec le moment qui vous convient."
        ]


@pytest.mark.parametrize("said, name", [
    ("alors, Poirier", "Poirier"), ("euh... c'est Odette", "Odette"),
    ("Bernard Roux à l'appareil", "Bernard Roux"), ("ben... Martin", "Martin"),
    ("bon, alors, Durand", "Durand"), ("Ben", "Ben"),
])
def test_names_said_with_pauses_and_fillers(said, name):
    from actions.name_answers import clean_name

    assert clean_name(said) == name
