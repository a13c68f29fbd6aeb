"""Issue 21, point 6 on the move form: a new time said in the request is not lost.

« Je voudrais avancer mon rendez-vous de vendredi à mercredi 10 heures »: the identity
comes first, so the new time arrives before the appointment is chosen; it is kept
(``time_wishes``), and once the appointment is chosen the calendar is searched with it
(the read-back of a free slot, or the offers that fit it, with the reason when refused).
:func:`actions.stated_new_time.new_time_words` on families of wordings, then the
reschedule form's validation on a real calendar and the real Duckling (SQLite and
PostgreSQL; it is Wednesday 25 November 2026, 9:00 in Paris).
"""
from __future__ import annotations

from datetime import datetime

import pytest

from actions import slots
from actions.rescheduling import ActionAskNewTime, ActionAskRescheduleConfirmed
from actions.stated_new_time import new_time_words
from tests.actions.test_reschedule_cancel_forms import form_tracker, phone_answer, validate
from tests.actions.tracker_builder import (
    MARIE, new_dispatcher, paris, run_action, texts,
)

MOVE = slots.RESCHEDULE_FORM


@pytest.mark.parametrize("said, words", [
    ("je voudrais avancer mon rendez-vous de vendredi à mercredi 10 heures",
     "mercredi 10 heures"),
    ("vous pouvez le mettre mardi prochain vers 15 h ?", "mardi prochain vers 15 h"),
    ("je dois décaler mon rendez-vous à jeudi", "a jeudi"),
    ("Bonjour, je voudrais reporter mon rendez-vous à la semaine prochaine le matin",
     "a la semaine prochaine le matin"),
    ("je voudrais changer mon rendez-vous pour lundi après-midi", "pour lundi apres midi"),
    ("est-ce qu'on peut déplacer mon rendez-vous du 3 au 7 décembre", "le 7 decembre"),
    ("je ne pourrai pas venir mardi, mettez-moi plutôt jeudi matin", "plutot jeudi matin"),
    ("il faudrait repousser ma consultation à demain", "a demain"),
])
def test_the_words_of_the_new_day(said, words):
    assert new_time_words(said) == words


@pytest.mark.parametrize("said", [
    "je voudrais décaler mon rendez-vous de demain",  # only the old one
    "je voudrais déplacer mon rendez-vous",
    "décaler mon rendez-vous de mardi à 10 h",  # « de mardi à 10 h » is the old one
    "je voudrais le mettre plus tôt",  # no day
    "je voudrais un rendez-vous jeudi",  # no moving verb: not a move
])
def test_nothing_when_no_new_day_is_said(said):
    assert new_time_words(said) is None


def request(said):
    return form_tracker(MOVE, None, said, intent="reschedule_appointment")


@pytest.mark.asyncio
async def test_the_new_time_said_first_is_read_back_once_the_appointment_is_chosen(
        domain, operations, duckling):
    current = operations.book(MARIE, paris("2026-11-27T10:30:00"), "martin")  # a Friday

    kept, said_back = await validate(
        MOVE, request("je voudrais avancer mon rendez-vous de vendredi à lundi 30 novembre à "
                      "15 heures"), domain)
    assert said_back == []
    assert kept[slots.TIME_WISHES]["exact"] == 15 * 60
    assert kept[slots.TIME_WISHES]["day"]["start"].startswith("2026-11-30")

    tracker = phone_answer(MOVE)
    tracker.slots.update(kept)
    result, said_back = await validate(MOVE, tracker, domain)

    assert result[slots.APPOINTMENT_ID] == str(current.id)
    assert result[slots.NEW_TIME] == "2026-11-30T15:00:00+01:00"
    assert said_back == [
        "Merci. Votre rendez-vous est le vendredi 27 novembre à 10 heures 30, "
        "avec la docteure Martin."]
    dispatcher = new_dispatcher()
    confirm = form_tracker(MOVE, slots.RESCHEDULE_CONFIRMED, slots_now={**kept, **result})
    await run_action(ActionAskRescheduleConfirmed(), confirm, dispatcher, domain)
    assert "est déplacé au lundi 30 novembre à 15 heures" in texts(dispatcher)[0]


@pytest.mark.asyncio
async def test_a_vague_new_time_said_first_gives_offers_that_fit_it(domain, operations, duckling):
    operations.book(MARIE, paris("2026-11-27T10:30:00"), "martin")

    kept, _ = await validate(MOVE, request("vous pouvez le mettre lundi 30 novembre l'après-midi ?"),
                             domain)
    tracker = phone_answer(MOVE)
    tracker.slots.update(kept)
    result, _ = await validate(MOVE, tracker, domain)

    assert result[slots.NEW_TIME] is None
    offers = [datetime.fromisoformat(s["start"]) for s in result[slots.OFFERED_SLOTS]]
    assert offers and all(o.date().isoformat() == "2026-11-30" and o.hour >= 13 for o in offers)
    dispatcher = new_dispatcher()
    ask = form_tracker(MOVE, slots.NEW_TIME, slots_now={**kept, **result})
    await run_action(ActionAskNewTime(), ask, dispatcher, domain)
    assert texts(dispatcher)[0].startswith("Je peux vous proposer lundi 30 novembre à 1")


@pytest.mark.asyncio
async def test_a_refused_new_time_said_first_is_said_with_its_reason(domain, operations, duckling):
    operations.book(MARIE, paris("2026-11-27T10:30:00"), "martin")
    operations.book(MARIE.__class__("105577", "Bob", "Nguyen", "+33698765432"),
                    paris("2026-11-30T15:00:00"), "martin")

    kept, _ = await validate(MOVE, request("je voudrais déplacer mon rendez-vous à lundi 30 "
                                           "novembre à 15 heures"), domain)
    tracker = phone_answer(MOVE)
    tracker.slots.update(kept)
    result, said_back = await validate(MOVE, tracker, domain)

    assert result[slots.NEW_TIME] is None and result[slots.OFFERED_SLOTS]
    assert said_back[-1] == "Ce créneau est déjà pris."


@pytest.mark.asyncio
async def test_without_a_new_time_the_question_is_asked(domain, operations, duckling):
    operations.book(MARIE, paris("2026-11-27T10:30:00"), "martin")

    kept, _ = await validate(MOVE, request("je voudrais décaler mon rendez-vous de vendredi"),
                             domain)
    assert slots.TIME_WISHES not in kept
    tracker = phone_answer(MOVE)
    result, _ = await validate(MOVE, tracker, domain)
    assert slots.NEW_TIME not in result and slots.OFFERED_SLOTS not in result
