"""The booking form's trackers for the tests: one caller's answer at one point of the form.

Built with :mod:`tests.actions.tracker_builder` (the tracker the action server receives), with
the booking form's validation run as Rasa runs it.
"""
from __future__ import annotations

from sqlalchemy import select

from actions import slots
from actions.booking import ActionAskBookingTime, ValidateBookingForm
from tests.actions.tracker_builder import (
    make_tracker, new_dispatcher, run_action,
    run_form_validation, slot_value, texts,
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


CHOSEN = {**IDENTITY, slots.BOOKING_TIME: "2026-11-26T10:30:00+01:00", slots.CHOSEN_SLOT: THURSDAY_1030}


def confirm_tracker(answer: bool, slots_now=CHOSEN):
    return booking_tracker(
        slots.BOOKING_CONFIRMED, "oui" if answer else "non",
        intent="affirm" if answer else "deny",
        filled={slots.BOOKING_CONFIRMED: answer},
        slots_now=slots_now,
    )


def identity_until(slot):
    """The identity slots the form has already validated before asking ``slot``."""
    order = [slots.LAST_NAME, slots.FIRST_NAME, slots.PATIENT_ID, slots.PHONE_NUMBER]
    return {name: IDENTITY[name] for name in order[: order.index(slot)]}


async def ask_time(tracker_slots, domain):
    dispatcher = new_dispatcher()
    tracker = booking_tracker(slots.BOOKING_TIME, slots_now={**IDENTITY, **tracker_slots})
    assert await run_action(ActionAskBookingTime(), tracker, dispatcher, domain) == []
    return texts(dispatcher)
